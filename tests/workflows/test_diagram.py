"""The state diagram is drawn from the flow definitions: every state and every declared
transition appears, the current state is marked, its outgoing edges are highlighted, and
the record pages show it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from applications.flows import ApplicationFlow
from nominations.flows import NominationFlow
from tests.testapp.models import DossierFlow
from workflows.diagram import flow_diagram

FLOWS = [ApplicationFlow, NominationFlow, DossierFlow]


def declared_edges(flow) -> set[tuple[str, str]]:
    return {(str(t.source), str(t.target)) for ts in flow.all_transitions().values() for t in ts}


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.__name__)
def test_every_state_and_transition_is_drawn(flow):
    for current in flow.States.values:
        diagram = flow_diagram(flow, current)
        svg = str(diagram.svg)

        assert re.findall(r'<g class="fd-node[^"]*" data-state="([a-z_]+)"', svg) == [n.value for n in diagram.nodes]
        assert sorted(n.value for n in diagram.nodes) == sorted(flow.States.values)
        drawn = set(re.findall(r'data-source="([a-z_]+)" data-target="([a-z_]+)"', svg))
        assert drawn == declared_edges(flow)
        assert re.findall(r'data-state="([a-z_]+)" aria-current="step"', svg) == [current]
        highlighted = set(
            re.findall(
                r'class="fd-edge[^"]*fd-next" d="[^"]*" marker-end="[^"]*" '
                r'data-source="([a-z_]+)" data-target="([a-z_]+)"',
                svg,
            )
        )
        assert highlighted == {e for e in declared_edges(flow) if e[0] == current}
        # Back edges are exactly those that lead to a state drawn above their source.
        rows = {n.value: n.row for n in diagram.nodes}
        assert {(e.source, e.target) for e in diagram.edges if e.back} == {
            (s, t) for s, t in declared_edges(flow) if rows[t] < rows[s]
        }


def test_labels_follow_the_language_and_are_escaped():
    with translation.override("en"):
        svg = str(flow_diagram(ApplicationFlow, "draft").svg)
    assert ">Draft<" in svg and "草稿" not in svg
    with translation.override("zh-hans"):
        svg = str(flow_diagram(ApplicationFlow, "draft").svg)
    assert ">草稿<" in svg and "<title>草稿（当前）</title>" in svg
    assert "<script" not in svg


def test_the_record_page_shows_the_diagram(users, client):
    from tests.applications.helpers import create_ready
    from workflows.models import Round

    app_id = create_ready(users, Round.objects.get(kind="application").pk, "applicant_csf_br1")
    client.force_login(users["applicant_csf_br1"])

    html = client.get(f"/applications/{app_id}/").content.decode()

    assert '<svg class="flow-diagram"' in html
    assert 'data-state="draft" aria-current="step"' in html
    assert "流程状态图" in html and "全部流转（文字版）" in html

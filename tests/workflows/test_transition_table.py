"""Every transition of the test flow, from every state, by every role: allowed or refused
with the right status (through the HTTP API, as a client would)."""

from __future__ import annotations

import pytest

from tests.conftest import api_as
from tests.testapp.models import DossierFlow
from tests.workflows.helpers import PATHS, dossier_in
from workflows.models import AuditEvent

USERS = [
    "applicant_csf_br1",  # applicant of the record's organization
    "applicant_gd_fish",  # applicant of another organization, same recommending unit
    "reviewer_csf",  # reviewer of the record's recommending unit
    "reviewer_gd_cast",  # reviewer of another recommending unit
    "content_csf",
    "content_cast",
    "cast_staff",
    "expert_1",  # the assigned expert (from expert review on)
    "expert_2",  # an expert not assigned
    "auditor",
]
TRANSITIONS = DossierFlow.transition_names()
ALL = set(PATHS)

# Who sees the record in each state (docs/domain.md scope rules); everyone else gets 404.
VISIBLE = {
    "applicant_csf_br1": ALL,
    "applicant_gd_fish": set(),
    "reviewer_csf": ALL - {"draft", "withdrawn"},  # withdrawn here before it was ever submitted
    "reviewer_gd_cast": set(),
    # waiting on its recommender checkpoint, or once reviewed by it
    "content_csf": {"submitted", "recommended", "expert_review", "reviewed", "approved", "rejected"},
    "content_cast": {"reviewed", "approved"},
    "cast_staff": {"recommended", "expert_review", "reviewed", "approved", "rejected"},
    "expert_1": {"expert_review", "reviewed", "approved"},
    "expert_2": set(),
    "auditor": ALL,
}

# (state, transition, user) that succeed, with the target state.
ALLOWED = {
    ("draft", "submit", "applicant_csf_br1"): "submitted",
    ("draft", "withdraw", "applicant_csf_br1"): "withdrawn",
    ("submitted", "withdraw", "applicant_csf_br1"): "withdrawn",
    ("submitted", "return_for_revision", "reviewer_csf"): "returned",
    ("submitted", "recommend", "reviewer_csf"): "recommended",
    ("submitted", "decline", "reviewer_csf"): "not_recommended",
    ("returned", "withdraw", "applicant_csf_br1"): "withdrawn",
    ("returned", "resubmit", "applicant_csf_br1"): "submitted",
    ("returned", "extend_revision", "reviewer_csf"): "returned",
    ("recommended", "start_expert_review", "cast_staff"): "expert_review",
    ("recommended", "reject", "cast_staff"): "rejected",
    ("expert_review", "complete_review", "expert_1"): "reviewed",
    ("expert_review", "reject", "cast_staff"): "rejected",
    ("reviewed", "approve", "cast_staff"): "approved",
    ("reviewed", "reject", "cast_staff"): "rejected",
}
# Transitions available from each state (a user holding the role gets 403, not 409).
SOURCES = {
    "submit": {"draft"},
    "withdraw": {"draft", "submitted", "returned"},
    "return_for_revision": {"submitted"},
    "resubmit": {"returned"},
    "extend_revision": {"returned"},
    "decline_lapsed": {"returned"},
    # Only for a unit that is its own recommending unit (none here): refused with 403.
    "submit_to_cast": {"draft"},
    "resubmit_to_cast": {"returned"},
    "recommend": {"submitted"},
    "decline": {"submitted"},
    "start_expert_review": {"recommended"},
    "complete_review": {"expert_review"},
    "approve": {"reviewed"},
    "reject": {"recommended", "expert_review", "reviewed"},
}


# Held but refused by a condition (400): the 补正期限 of a return has not lapsed yet.
BLOCKED = {("returned", "decline_lapsed", "reviewer_csf")}


def expected_status(state: str, name: str, user: str) -> int:
    if state not in VISIBLE[user]:
        return 404
    if state not in SOURCES[name]:
        return 409
    if (state, name, user) in ALLOWED:
        return 200
    if (state, name, user) in BLOCKED:
        return 400
    return 403


def prepare(state, users, orgs, round):
    """A record in ``state`` whose every allowed transition's conditions are met."""
    from workflows import services

    record = dossier_in(state, users=users, orgs=orgs, round=round)
    if state == "submitted":
        services.checkpoint_record(
            record, stage="recommender", verdict="pass", opinion="内容无问题", actor=users["content_csf"]
        )
    if state == "reviewed":
        services.checkpoint_record(
            record, stage="cast", verdict="pass", opinion="内容无问题", actor=users["content_cast"]
        )
    if state == "returned":
        # resubmission needs a change since the return: an edit in the applicant's form
        type(record).objects.filter(pk=record.pk).update(body=record.body + "（已补充绩效目标）")
        record.refresh_from_db()
    return record


def test_flow_declares_exactly_the_transitions_of_the_table():
    assert sorted(SOURCES) == TRANSITIONS
    for name, sources in SOURCES.items():
        assert {t.source for t in DossierFlow.all_transitions()[name]} == sources


@pytest.mark.parametrize("state", sorted(PATHS))
def test_every_transition_by_every_role(state, users, orgs, open_round):
    record = prepare(state, users, orgs, open_round)
    mismatches = []
    for name in TRANSITIONS:
        for username in USERS:
            want = expected_status(state, name, username)
            if want == 200:
                continue  # performed below on a fresh record
            events = AuditEvent.objects.count()
            response = api_as(users[username]).post(
                f"/api/v1/dossiers/{record.pk}/transitions/{name}/", {"opinion": "同意。"}, format="json"
            )
            record.refresh_from_db()
            got = (response.status_code, record.state, AuditEvent.objects.count())
            if got != (want, state, events):
                mismatches.append((name, username, want, got))
    assert mismatches == []

    for (s, name, username), target in ALLOWED.items():
        if s != state:
            continue
        fresh = prepare(state, users, orgs, open_round)
        response = api_as(users[username]).post(
            f"/api/v1/dossiers/{fresh.pk}/transitions/{name}/", {"opinion": "同意。"}, format="json"
        )
        assert (name, username, response.status_code, response.json().get("state")) == (
            name,
            username,
            200,
            target,
        ), response.json()
        last = AuditEvent.objects.order_by("-pk").first()
        assert (last.record_id, last.action, last.from_state, last.to_state, last.actor_name) == (
            fresh.pk,
            name,
            state,
            target,
            users[username].display_name,
        )

"""The engine's 补正期限 (workflows/revision.py): the date rules, the flow declarations every
record type shares (the test record type Dossier gets them from StandardFlow), and the data
migration's backfill of records already returned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from applications.flows import ApplicationFlow
from nominations.flows import NominationFlow
from tests.conftest import make_dossier
from tests.testapp.models import Dossier
from workflows import revision
from workflows.flows import RETURNED_BY_CAST, RETURNED_BY_RECOMMENDER
from workflows.models import AuditEvent
from workflows.services import transition

pytestmark = pytest.mark.django_db

WED = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("returned_on", "due"),
    [
        (dt.date(2026, 9, 30), dt.date(2026, 10, 13)),  # National Day holiday; Sat 10-10 worked
        (dt.date(2026, 12, 2), dt.date(2026, 12, 9)),  # Wednesday → next Wednesday
        (dt.date(2026, 12, 4), dt.date(2026, 12, 11)),  # Friday → next Friday
        (dt.date(2026, 12, 5), dt.date(2026, 12, 11)),  # Saturday → Friday
        (dt.date(2026, 2, 13), dt.date(2026, 2, 27)),  # before the Spring Festival (2-15..2-23 off, 2-14 worked)
    ],
)
def test_default_due(returned_on, due):
    assert revision.default_due(returned_on) == due


@pytest.mark.parametrize(
    ("raw", "current", "due", "problems"),
    [
        ("", None, dt.date(2026, 12, 9), []),
        (None, dt.date(2026, 12, 9), dt.date(2026, 12, 16), []),  # an extension counts from the deadline
        (None, dt.date(2026, 11, 20), dt.date(2026, 12, 9), []),  # … or from today once it lapsed
        ("2026-12-02", None, WED, []),  # today itself
        (dt.date(2026, 12, 3), None, dt.date(2026, 12, 3), []),
        ("2026-12-01", None, dt.date(2026, 12, 1), ["补正期限不得早于今天（2026-12-02）"]),
        (
            "2026-12-06",
            dt.date(2026, 12, 9),
            dt.date(2026, 12, 6),
            ["补正期限 2026-12-06 不是工作日，请选择工作日", "延长后的补正期限须晚于原期限 2026-12-09"],
        ),
        ("2027-01-31", None, dt.date(2027, 1, 31), ["补正期限 2027-01-31 不是工作日，请选择工作日"]),  # a Sunday
        ("2027-02-01", None, dt.date(2027, 2, 1), ["补正期限不得晚于 2027-01-31（自今天起 60 天内）"]),
        ("12/09/2026", None, None, ["补正期限“12/09/2026”不是有效日期，格式应为 YYYY-MM-DD"]),
        (["2026-12-09"], None, None, ["补正期限“['2026-12-09']”不是有效日期，格式应为 YYYY-MM-DD"]),
        (dt.datetime(2026, 12, 9, 9), None, None, ["补正期限“2026-12-09 09:00:00”不是有效日期，格式应为 YYYY-MM-DD"]),
    ],
)
def test_parse_due(raw, current, due, problems):
    assert revision.parse_due(raw, today=WED, current=current) == (due, problems)


def test_every_flow_declares_the_returns():
    for flow in (ApplicationFlow, NominationFlow, Dossier.flow_class):
        names = flow.all_transitions()
        assert revision.due_valid in flow.inputs_of(names["return_for_revision"][0])
        assert flow.spec_of(names["resubmit"][0]).window is None
        assert revision.not_lapsed in flow.checks_of(names["resubmit"][0])
        assert names["extend_revision"][0].permission is RETURNED_BY_RECOMMENDER
        assert names["decline_lapsed"][0].permission is RETURNED_BY_RECOMMENDER
    names = ApplicationFlow.all_transitions()
    assert revision.due_valid in ApplicationFlow.inputs_of(names["return_from_formal_review"][0])
    assert names["extend_cast_revision"][0].permission is RETURNED_BY_CAST
    assert names["reject_lapsed"][0].permission is RETURNED_BY_CAST


def test_a_third_record_type_gets_the_deadline(users, orgs, open_round):
    dossier = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=open_round)
    transition(dossier, "submit", actor=users["applicant_csf_br1"])
    due = revision.default_due(timezone.localdate())
    dossier = transition(dossier, "return_for_revision", actor=users["reviewer_csf"], opinion="请补充。")
    dossier.refresh_from_db()
    assert (dossier.state, dossier.revision_due, dossier.returned_by_stage, dossier.return_opinion) == (
        "returned",
        due,
        "recommender",
        "请补充。",
    )
    assert revision.open_return_of(dossier)["due"] == due


def test_backfill_gives_records_already_returned_a_deadline(users, orgs, open_round):
    """The data migration's step, run on a record returned before the field existed."""
    dossier = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=open_round)
    transition(dossier, "submit", actor=users["applicant_csf_br1"])
    transition(dossier, "return_for_revision", actor=users["reviewer_csf"], opinion="请补充预算。")
    Dossier.objects.filter(pk=dossier.pk).update(revision_due=None, returned_by_stage="", return_opinion="")
    other = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=open_round)
    events = AuditEvent.objects.count()
    revision.backfill(apps, "testapp", "Dossier")
    dossier.refresh_from_db()
    other.refresh_from_db()
    assert (dossier.revision_due, dossier.returned_by_stage, dossier.return_opinion) == (
        revision.default_due(timezone.localdate()),
        "recommender",
        "请补充预算。",
    )
    assert (other.state, other.revision_due) == ("draft", None)
    assert AuditEvent.objects.count() == events

"""A world for the security suites: records of two organizations under two recommending units
(built over HTTP by the apps' test helpers), each named with a marker no other text holds, so
that finding a marker in a response means that record leaked; and a published notice with an
objection and its evidence (of the test app's bulletins, which carry no marker)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from applications.models import Application
from nominations.models import Nomination
from notifications.models import Notification
from tests import decisions as decisions_helpers
from tests.applications.builders import application_in, create_draft
from tests.nominations.helpers import nomination_in
from tests.notices import helpers as notice_helpers
from workflows.models import Round

# record key → (marker, state); the marker is the application's name or the nominee's name.
MARKERS = {
    "app_csf_submitted": "探针甲一号项目",
    "app_xw_expert": "探针乙二号项目",
    "app_fish_draft": "探针丙三号项目",
    "nom_xw_submitted": "探针丁四号服务队",
    "nom_csf_scored": "探针戊五号项目",
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files (photos are 1 MB each) go to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The objection rate limit lives in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


def build_world(users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, Any]:
    app_round = Round.objects.get(kind="application")
    selection = Round.objects.get(kind="selection")
    records: dict[str, Any] = {}
    m = MARKERS
    records["app_csf_submitted"] = application_in(
        users, app_round.pk, "submitted", "applicant_csf_br1", name=m["app_csf_submitted"]
    )
    records["app_xw_expert"] = application_in(
        users, app_round.pk, "expert_review", "applicant_xuwen", experts=("expert_1",), name=m["app_xw_expert"]
    )
    records["app_fish_draft"] = create_draft(users, app_round.pk, "applicant_gd_fish", name=m["app_fish_draft"])
    records["nom_xw_submitted"] = nomination_in(
        users, selection.pk, "team", "submitted", "applicant_xuwen", nominee_name=m["nom_xw_submitted"]
    )
    records["nom_csf_scored"] = nomination_in(
        users,
        selection.pk,
        "project",
        "scored",
        "applicant_csf_br1",
        experts=("expert_2",),
        totals=(80,),
        nominee_name=m["nom_csf_scored"],
    )
    loaded = {
        key: (Application if key.startswith("app_") else Nomination).objects.get(pk=pk) for key, pk in records.items()
    }

    # A published notice (of bulletins, the test record type) with an objection and evidence.
    bulletin = notice_helpers.bulletin(users, orgs, app_round, title="公示测试项目")
    notice = notice_helpers.published_notice(users, app_round, [bulletin])
    entry = notice.entries.get()
    objection = notice_helpers.file_objection(
        notice, entry.pk, files=[notice_helpers.upload("证据.pdf", notice_helpers.PDF_BYTES, "application/pdf")]
    )
    notification = Notification.objects.filter(recipient=users["cast_staff"]).order_by("pk").first()
    # 审定: a decision meeting with its minutes that decided the application in expert review.
    decision = decisions_helpers.meeting(users, app_round.pk)
    decided = decisions_helpers.attach(users, decision["id"], "applications.application", records["app_xw_expert"])
    return {
        "decision": decision["id"],
        "decision_item": decided["items"][0]["id"],
        "records": loaded,
        "notice": notice.pk,
        "objection": objection.pk,
        "evidence": objection.evidence.get().pk,
        "round": app_round.pk,
        "selection_round": selection.pk,
        "notification": notification.pk if notification else 999_999,
    }


@pytest.fixture
def world(users, orgs) -> dict[str, Any]:
    return build_world(users, orgs)

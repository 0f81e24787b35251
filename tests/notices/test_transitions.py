"""A flow may name several publish transitions (nominations: publish_notice and promote)."""

from __future__ import annotations

from django.db import models

from notices.transitions import notice_state, publish_name_for, publish_names, publish_sources
from tests.testapp.notice_flow import BulletinFlow
from workflows.flows import CAST_STAFF, BaseFlow, record_state, spec


class DoorState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SHORTLISTED = "shortlisted", "拟入选"
    NOT_SELECTED = "not_selected", "未入选"
    PUBLIC_NOTICE = "public_notice", "公示中"
    AWARDED = "awarded", "已公布"


class TwoDoorFlow(BaseFlow):
    States = DoorState
    state = record_state(DoorState, default=DoorState.DRAFT)
    notice_transitions = {"publish": ("publish_notice", "promote"), "finish": "award", "uphold": "award"}

    @state.transition(
        source=DoorState.SHORTLISTED,
        target=DoorState.PUBLIC_NOTICE,
        permission=CAST_STAFF,
        custom=spec(checkpoint="publication"),
    )
    def publish_notice(self, ctx):
        pass

    @state.transition(
        source=DoorState.NOT_SELECTED,
        target=DoorState.PUBLIC_NOTICE,
        permission=CAST_STAFF,
        custom=spec(checkpoint="publication"),
    )
    def promote(self, ctx):
        pass

    @state.transition(source=DoorState.PUBLIC_NOTICE, target=DoorState.AWARDED, permission=CAST_STAFF)
    def award(self, ctx):
        pass


def test_one_publish_transition():
    assert publish_names(BulletinFlow) == ("publish_notice",)
    assert publish_sources(BulletinFlow) == {"proposed"}
    assert publish_name_for(BulletinFlow, "proposed") == "publish_notice"
    assert notice_state(BulletinFlow) == "public_notice"


def test_several_publish_transitions():
    assert publish_names(TwoDoorFlow) == ("publish_notice", "promote")
    assert publish_sources(TwoDoorFlow) == {"shortlisted", "not_selected"}
    assert publish_name_for(TwoDoorFlow, "shortlisted") == "publish_notice"
    assert publish_name_for(TwoDoorFlow, "not_selected") == "promote"
    assert publish_name_for(TwoDoorFlow, "awarded") == "publish_notice"  # the service then says why not
    assert notice_state(TwoDoorFlow) == "public_notice"


def test_a_proposed_bulletin_needs_the_publication_checkpoint():
    assert BulletinFlow.stage_for_state("proposed") == "publication"
    assert BulletinFlow.stage_for_state("draft") is None
    assert BulletinFlow.stages() == ["publication"]

"""Notices through their services: create, review, publish, finish — every refusal exact and
leaving nothing changed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notices import services
from notices.models import NoticeEntry, NoticeStatus, PublicNotice
from tests.conftest import make_dossier, make_round
from tests.notices.helpers import (
    bulletin,
    draft_notice,
    end_period,
    file_objection,
    published_notice,
    reviewed_notice,
    row_counts,
    states,
)
from workflows import services as workflow_services
from workflows.calendar import notice_end, official_calendar
from workflows.exceptions import InvalidInput, TransitionBlocked, TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent, CalendarDay, CalendarDayKind, Checkpoint

TITLE = "2026年度拟立项项目公示"


@pytest.fixture
def two(users, orgs, open_round):
    return (
        bulletin(users, orgs, open_round, title="甲项目"),
        bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH"),
    )


def notice_actions(notice: PublicNotice) -> list[str]:
    return list(
        AuditEvent.objects.filter(record_type="notices.publicnotice", record_id=notice.pk).values_list(
            "action", flat=True
        )
    )


def record_actions(record) -> list[str]:
    return list(
        AuditEvent.objects.filter(record_type="testapp.bulletin", record_id=record.pk).values_list("action", flat=True)
    )


# -- create ----------------------------------------------------------------------------------


def test_create_lists_the_records_with_their_public_text(users, open_round, two):
    a, b = two
    notice = draft_notice(users, open_round, [a, b])
    assert (notice.status, notice.record_type, notice.title, notice.created_by) == (
        NoticeStatus.DRAFT,
        "testapp.bulletin",
        TITLE,
        users["cast_staff"],
    )
    assert notice.body == "1. 甲项目（中国水产学会科普工作委员会）\n2. 乙项目（广东省水产学会）"
    assert list(notice.entries.values_list("position", "record_id", "public_title", "public_summary")) == [
        (1, a.pk, "甲项目", "中国水产学会科普工作委员会"),
        (2, b.pk, "乙项目", "广东省水产学会"),
    ]
    assert notice_actions(notice) == ["notice_created"]
    event = AuditEvent.objects.get(record_type="notices.publicnotice", record_id=notice.pk)
    assert (event.actor, event.data) == (
        users["cast_staff"],
        {"record_type": "testapp.bulletin", "record_ids": [a.pk, b.pk]},
    )
    assert states(a, b) == ["proposed", "proposed"]


def test_create_accepts_ids(users, open_round, two):
    a, b = two
    notice = services.notice_create(
        round=open_round,
        record_type="testapp.bulletin",
        records=[b.pk, a.pk, b.pk],
        title="公示",
        intro="",
        actor=users["cast_staff"],
    )
    assert list(notice.entries.values_list("position", "record_id")) == [(1, b.pk), (2, a.pk)]


@pytest.mark.parametrize("username", ["content_cast", "auditor", "applicant_csf_br1", "reviewer_csf", "expert_1"])
def test_create_is_for_cast_staff_only(users, open_round, two, username):
    before = row_counts()
    with pytest.raises(TransitionForbidden) as exc:
        services.notice_create(
            round=open_round,
            record_type="testapp.bulletin",
            records=list(two),
            title="公示",
            intro="",
            actor=users[username],
        )
    assert exc.value.errors == ["只有中国科协工作人员可以创建公示"]
    assert row_counts() == before


def test_create_names_every_problem(users, orgs, open_round, two):
    a, b = two
    other_round = make_round()
    c = bulletin(users, orgs, other_round, title="丙项目")
    draft = bulletin(users, orgs, open_round, title="草稿项目", state="draft")
    published_notice(users, open_round, [b], title="已发布的公示")
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        services.notice_create(
            round=open_round,
            record_type="testapp.bulletin",
            records=[a, b, c, draft.pk, 99999],
            title="  ",
            intro="x" * 5001,
            actor=users["cast_staff"],
        )
    assert exc.value.errors == [
        "请填写公示标题",
        "公示说明不得超过 5000 个字符",
        "《乙项目》：当前状态为“公示中”，只有“拟立项”的记录可以列入公示；已在公示“已发布的公示”中",
        f"《丙项目》：不属于批次“{open_round.title}”",
        # CAST staff never see drafts: answered as if it did not exist.
        f"编号为 {draft.pk} 的记录不存在或您无权查看",
        "编号为 99999 的记录不存在或您无权查看",
    ]
    assert row_counts() == before


def test_create_refuses_a_record_already_on_an_unclosed_notice(users, open_round, two):
    a, b = two
    draft_notice(users, open_round, [a], title="第一批公示")
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        draft_notice(users, open_round, [b, a], title="第二批公示")
    assert exc.value.errors == ["《甲项目》：已在公示“第一批公示”中"]
    assert row_counts() == before


def test_a_failed_review_frees_the_records_for_a_new_notice(users, open_round, two):
    a, b = two
    first = draft_notice(users, open_round, [a, b], title="第一稿")
    services.notice_review(notice=first, verdict="fail", opinion="摘要需修改", actor=users["content_cast"])
    second = draft_notice(users, open_round, [a, b], title="第二稿")
    assert second.status == NoticeStatus.DRAFT
    assert NoticeEntry.objects.filter(record_id=a.pk).count() == 2


def test_create_refuses_unknown_types_and_flows_without_a_notice(users, orgs, open_round):
    dossier = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=open_round)
    for record_type, message in [
        ("testapp.nothing", "未知的记录类型“testapp.nothing”"),
        ("testapp.dossier", "记录类型“testapp.dossier”的流程没有公示环节"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            services.notice_create(
                round=open_round,
                record_type=record_type,
                records=[dossier],
                title="公示",
                intro="",
                actor=users["cast_staff"],
            )
        assert exc.value.errors == [message]
    with pytest.raises(InvalidInput) as exc:
        services.notice_create(
            round=None, record_type="testapp.bulletin", records=[], title="公示", intro="", actor=users["cast_staff"]
        )
    assert exc.value.errors == ["请选择批次", "请至少选择一条记录"]
    assert PublicNotice.objects.count() == 0


# -- review ----------------------------------------------------------------------------------


def test_review_pass_records_each_records_publication_checkpoint(users, open_round, two):
    a, b = two
    notice = services.notice_review(
        notice=draft_notice(users, open_round, [a, b]),
        verdict="pass",
        opinion="同意发布。",
        actor=users["content_cast"],
    )
    assert (notice.status, notice.reviewer, notice.review_opinion) == (
        NoticeStatus.PASSED_REVIEW,
        users["content_cast"],
        "同意发布。",
    )
    assert notice.reviewed_at is not None
    for record in (a, b):
        checkpoint = Checkpoint.objects.get(record_type="testapp.bulletin", record_id=record.pk, stage="publication")
        assert (checkpoint.verdict, checkpoint.reviewer, checkpoint.opinion) == (
            "pass",
            users["content_cast"],
            "同意发布。",
        )
        assert record_actions(record) == ["propose", "checkpoint_pass"]
    assert notice_actions(notice) == ["notice_created", "notice_review_pass"]
    assert states(a, b) == ["proposed", "proposed"]


def test_review_fail_keeps_the_records_from_publication(users, open_round, two):
    a, b = two
    notice = services.notice_review(
        notice=draft_notice(users, open_round, [a, b]),
        verdict="fail",
        opinion="名单摘要不规范",
        actor=users["content_cast"],
    )
    assert notice.status == NoticeStatus.FAILED_REVIEW
    assert list(Checkpoint.objects.filter(stage="publication").values_list("verdict", flat=True)) == ["fail", "fail"]
    with pytest.raises(TransitionConflict) as exc:
        services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["公示当前状态为“内容审核不通过”，只有内容审核通过的公示可以发布"]
    assert states(a, b) == ["proposed", "proposed"]


@pytest.mark.parametrize("username", ["cast_staff", "content_csf", "auditor", "applicant_csf_br1"])
def test_review_is_for_content_reviewers_of_cast_only(users, open_round, two, username):
    notice = draft_notice(users, open_round, list(two))
    before = row_counts()
    with pytest.raises(TransitionForbidden) as exc:
        services.notice_review(notice=notice, verdict="pass", opinion="同意", actor=users[username])
    assert exc.value.errors == ["只有中国科协的内容审核员可以审核公示"]
    assert row_counts() == before
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT


def test_review_refusals(users, open_round, two):
    notice = draft_notice(users, open_round, list(two))
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        services.notice_review(notice=notice, verdict="maybe", opinion=" ", actor=users["content_cast"])
    assert exc.value.errors == ["审核结论必须是 pass（通过）或 fail（不通过）", "请填写审核意见"]
    assert row_counts() == before
    services.notice_review(notice=notice, verdict="pass", opinion="同意", actor=users["content_cast"])
    before = row_counts()
    with pytest.raises(TransitionConflict) as exc:
        services.notice_review(notice=notice, verdict="fail", opinion="改判", actor=users["content_cast"])
    assert exc.value.errors == ["公示当前状态为“内容审核通过（待发布）”，不能再审核"]
    assert row_counts() == before


# -- publish ---------------------------------------------------------------------------------


def test_publish_starts_the_period_and_moves_every_record(users, open_round, two):
    a, b = two
    notice = services.notice_publish(notice=reviewed_notice(users, open_round, [a, b]), actor=users["cast_staff"])
    today = timezone.localdate()
    assert (notice.status, notice.starts_on, notice.ends_on) == (
        NoticeStatus.PUBLISHED,
        today,
        notice_end(today, 5),
    )
    assert notice.published_at is not None
    assert states(a, b) == ["public_notice", "public_notice"]
    event = AuditEvent.objects.get(record_id=a.pk, record_type="testapp.bulletin", action="publish_notice")
    assert (event.from_state, event.to_state, event.opinion) == (
        "proposed",
        "public_notice",
        f"列入公示《{TITLE}》，公示期 {today.isoformat()} 至 {notice.ends_on.isoformat()}",
    )
    assert notice_actions(notice) == ["notice_created", "notice_review_pass", "notice_published"]


def test_publish_counts_the_official_calendar(users, orgs, open_round, two):
    today = timezone.localdate()
    before = official_calendar()
    holidays = [before.add_working_days(today, 2), before.add_working_days(today, 3)]
    # CAST's own entries: two working days of the period become holidays.
    for day in holidays:
        CalendarDay.objects.create(
            date=day, kind=CalendarDayKind.HOLIDAY, note="临时放假", created_by=users["cast_staff"]
        )
    open_round.notice_working_days = 7
    open_round.save()
    notice = published_notice(users, open_round, list(two))
    assert notice.ends_on == before.add_working_days(today, 9)
    assert notice.ends_on == notice_end(today, 7)


def test_publish_is_all_or_nothing(users, open_round, two):
    a, b = two
    notice = reviewed_notice(users, open_round, [a, b])
    # A later verdict on one record fails its publication checkpoint.
    workflow_services.checkpoint_record(
        b, stage="publication", verdict="fail", opinion="摘要含不宜公开的信息", actor=users["content_cast"]
    )
    before = row_counts()
    with pytest.raises(TransitionBlocked) as exc:
        services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["《乙项目》：发布前内容审核未通过：摘要含不宜公开的信息"]
    assert row_counts() == before
    assert states(a, b) == ["proposed", "proposed"]
    notice.refresh_from_db()
    assert (notice.status, notice.starts_on, notice.ends_on) == (NoticeStatus.PASSED_REVIEW, None, None)


def test_publish_refusals(users, open_round, two):
    notice = draft_notice(users, open_round, list(two))
    before = row_counts()
    with pytest.raises(TransitionConflict) as exc:
        services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["公示当前状态为“待发布前内容审核”，只有内容审核通过的公示可以发布"]
    services.notice_review(notice=notice, verdict="pass", opinion="同意", actor=users["content_cast"])
    before = row_counts()
    for username in ("content_cast", "auditor", "applicant_csf_br1"):
        with pytest.raises(TransitionForbidden) as exc:
            services.notice_publish(notice=notice, actor=users[username])
        assert exc.value.errors == ["只有中国科协工作人员可以发布公示"]
    assert row_counts() == before
    services.notice_publish(notice=notice, actor=users["cast_staff"])
    with pytest.raises(TransitionConflict) as exc:
        services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["公示当前状态为“公示中”，只有内容审核通过的公示可以发布"]


def test_a_record_cannot_go_on_notice_outside_a_reviewed_notice(users, orgs, open_round):
    record = bulletin(users, orgs, open_round, title="甲项目")
    with pytest.raises(TransitionBlocked) as exc:
        workflow_services.transition(record, "publish_notice", actor=users["cast_staff"])
    assert exc.value.errors == [
        "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示",
        "该记录不在已通过发布前内容审核、待发布的公示名单上",
        "发布前内容审核尚未完成（当前版本）",
    ]
    draft_notice(users, open_round, [record])
    with pytest.raises(TransitionBlocked) as exc:
        workflow_services.transition(record, "publish_notice", actor=users["cast_staff"])
    assert exc.value.errors[:2] == [
        "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示",
        "该记录不在已通过发布前内容审核、待发布的公示名单上",
    ]
    # Even on a reviewed notice, only publishing the notice moves the record (a record moved
    # on its own would leave its notice unpublishable and itself stranded).
    with pytest.raises(TransitionBlocked) as exc:
        workflow_services.transition(record, "publish_notice", actor=users["cast_staff"], driven_by=None)
    assert exc.value.errors[0] == "该操作随公示的发布执行：请在公示管理中发布该记录所在的公示"
    assert states(record) == ["proposed"]


# -- finish ----------------------------------------------------------------------------------


def test_finishing_before_the_period_ends_is_refused(users, open_round, two):
    a, b = two
    notice = published_notice(users, open_round, [a, b])
    before = row_counts()
    with pytest.raises(TransitionBlocked) as exc:
        services.notice_finish(notice=notice, actor=users["cast_staff"])
    ends = notice.ends_on.isoformat()
    assert exc.value.errors == [
        f"《甲项目》：公示期至 {ends} 结束，尚未期满",
        f"《乙项目》：公示期至 {ends} 结束，尚未期满",
    ]
    assert row_counts() == before
    assert states(a, b) == ["public_notice", "public_notice"]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED


def test_finishing_with_an_open_objection_is_refused_for_all(users, open_round, two):
    a, b = two
    notice = published_notice(users, open_round, [a, b])
    file_objection(notice, notice.entries.get(record_id=a.pk).pk)
    end_period(notice)
    before = row_counts()
    with pytest.raises(TransitionBlocked) as exc:
        services.notice_finish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["《甲项目》：该记录有 1 条异议尚未处理"]
    assert row_counts() == before
    assert states(a, b) == ["public_notice", "public_notice"]


def test_finish_issues_every_record_and_closes_the_notice(users, open_round, two):
    a, b = two
    notice = published_notice(users, open_round, [a, b])
    end_period(notice)
    notice = services.notice_finish(notice=notice, actor=users["cast_staff"])
    assert notice.status == NoticeStatus.CLOSED
    assert notice.closed_at is not None
    assert states(a, b) == ["approved", "approved"]
    event = AuditEvent.objects.get(record_type="testapp.bulletin", record_id=a.pk, action="issue")
    assert (event.from_state, event.to_state, event.opinion) == ("public_notice", "approved", f"公示《{TITLE}》期满")
    assert notice_actions(notice) == ["notice_created", "notice_review_pass", "notice_published", "notice_closed"]
    with pytest.raises(TransitionConflict) as exc:
        services.notice_finish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["公示当前状态为“公示结束”，只有公示中的公示可以结束"]


def test_finish_leaves_revoked_records_alone(users, open_round, two):
    a, b = two
    notice = published_notice(users, open_round, [a, b])
    objection = file_objection(notice, notice.entries.get(record_id=a.pk).pk)
    services.objection_decide(objection=objection, decision="uphold", reason="情况属实", actor=users["cast_staff"])
    end_period(notice)
    services.notice_finish(notice=notice, actor=users["cast_staff"], opinion="公示期满，予以立项。")
    assert states(a, b) == ["rejected", "approved"]
    assert AuditEvent.objects.get(record_id=b.pk, record_type="testapp.bulletin", action="issue").opinion == (
        "公示期满，予以立项。"
    )


def test_with_every_record_revoked_the_period_must_still_be_over(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    notice = published_notice(users, open_round, [a])
    objection = file_objection(notice, notice.entries.get().pk)
    services.objection_decide(objection=objection, decision="uphold", reason="情况属实", actor=users["cast_staff"])
    with pytest.raises(TransitionBlocked) as exc:
        services.notice_finish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == [f"公示期至 {notice.ends_on.isoformat()} 结束，尚未期满"]
    end_period(notice)
    assert services.notice_finish(notice=notice, actor=users["cast_staff"]).status == NoticeStatus.CLOSED


@pytest.mark.parametrize("username", ["content_cast", "auditor", "applicant_csf_br1"])
def test_finish_is_for_cast_staff_only(users, open_round, two, username):
    notice = published_notice(users, open_round, list(two))
    end_period(notice)
    before = row_counts()
    with pytest.raises(TransitionForbidden) as exc:
        services.notice_finish(notice=notice, actor=users[username])
    assert exc.value.errors == ["只有中国科协工作人员可以结束公示"]
    assert row_counts() == before


def test_finish_refuses_a_notice_not_published(users, open_round, two):
    notice = reviewed_notice(users, open_round, list(two))
    with pytest.raises(TransitionConflict) as exc:
        services.notice_finish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == ["公示当前状态为“内容审核通过（待发布）”，只有公示中的公示可以结束"]


def test_the_conditions_show_as_blocked_reasons(users, open_round, two):
    a, _b = two
    notice = published_notice(users, open_round, [a])
    a.refresh_from_db()
    options = {o["name"]: o for o in workflow_services.available_transitions(a, users["cast_staff"])}
    assert options["issue"]["blocked_reasons"] == [f"公示期至 {notice.ends_on.isoformat()} 结束，尚未期满"]
    assert options["revoke"]["blocked_reasons"] == ["该记录没有成立的异议"]
    file_objection(notice, notice.entries.get().pk)
    file_objection(notice, notice.entries.get().pk)
    end_period(notice)
    options = {o["name"]: o for o in workflow_services.available_transitions(a, users["cast_staff"])}
    assert options["issue"]["blocked_reasons"] == ["该记录有 2 条异议尚未处理"]


def test_publish_refuses_a_round_without_a_valid_notice_length(users, open_round, two):
    notice = reviewed_notice(users, open_round, list(two))
    type(open_round).objects.filter(pk=open_round.pk).update(notice_working_days=0)
    before = row_counts()
    with pytest.raises(TransitionBlocked) as exc:
        services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == [f"批次“{open_round.title}”的公示期设置无效：0 个工作日"]
    assert row_counts() == before
    assert states(*two) == ["proposed", "proposed"]

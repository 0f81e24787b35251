"""The transition service: conditions with every unmet reason, revisions, checkpoints,
the audit event and outbox rows, and nothing written when refused or rolled back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from tests.conftest import api_as, make_dossier, make_round, verify_chain
from tests.testapp.models import Dossier
from tests.workflows.helpers import dossier_in
from workflows import services
from workflows.exceptions import (
    TransitionBlocked,
    TransitionConflict,
    TransitionForbidden,
    UnknownTransition,
)
from workflows.models import AuditEvent, Checkpoint, Revision, SensitiveTerm, Severity


def counts():
    return (
        AuditEvent.objects.count(),
        Revision.objects.count(),
        Checkpoint.objects.count(),
        Notification.objects.count(),
    )


def test_submit_lists_every_unmet_condition_and_changes_nothing(users, orgs):
    closed = make_round(
        submission_opens=timezone.make_aware(dt.datetime(2026, 10, 1, 9, 0)),
        submission_closes=timezone.make_aware(dt.datetime(2026, 11, 1, 17, 0)),
        recommender_review_due=timezone.now() + dt.timedelta(days=20),
        cast_review_due=timezone.now() + dt.timedelta(days=30),
    )
    record = make_dossier(org=orgs["CSF-BR1"], user=users["applicant_csf_br1"], round=closed, title="", body=" ")
    before = counts()
    with pytest.raises(TransitionBlocked) as exc:
        services.transition(record, "submit", actor=users["applicant_csf_br1"])
    assert exc.value.errors == [
        "申报窗口已于 2026-11-01 17:00 关闭",
        "请填写“标题”",
        "请填写“正文”",
    ]
    record.refresh_from_db()
    assert (record.state, record.current_revision_hash) == ("draft", "")
    assert counts() == before


def test_blocking_term_flags_the_submission_with_field_and_position(users, orgs, open_round):
    # No severity refuses a submission: the scan flags it for the content reviewer.
    SensitiveTerm.objects.update_or_create(term="赌博", defaults={"category": "illegal", "severity": Severity.BLOCK})
    SensitiveTerm.objects.update_or_create(
        term="包治百病", defaults={"category": "harmful", "severity": Severity.REVIEW}
    )
    record = make_dossier(
        org=orgs["CSF-BR1"],
        user=users["applicant_csf_br1"],
        round=open_round,
        title="讲座",
        body="宣传：反对赌 博，揭穿“包治百病”。",
    )
    record = services.transition(record, "submit", actor=users["applicant_csf_br1"])
    assert record.state == "submitted"
    assert Revision.objects.count() == 1
    checkpoint = Checkpoint.objects.get()
    assert [(f["term"], f["field"], f["start"], f["severity"]) for f in checkpoint.findings] == [
        ("赌博", "正文", 5, "block"),
        ("包治百病", "正文", 12, "review"),
    ]
    assert checkpoint.opinion == (
        "自动扫描：发现 2 处需关注的词语，其中 1 处为最高严重程度（“赌博”（正文）），须由内容审核员作出结论并写明理由"
    )


def test_submit_snapshots_a_revision_with_its_hash_and_keeps_review_findings(users, orgs, open_round):
    SensitiveTerm.objects.update_or_create(
        term="包治百病", defaults={"category": "harmful", "severity": Severity.REVIEW}
    )
    record = make_dossier(
        org=orgs["CSF-BR1"],
        user=users["applicant_csf_br1"],
        round=open_round,
        title="讲座",
        body="揭穿“包治百病”的说法。",
    )
    record = services.transition(record, "submit", actor=users["applicant_csf_br1"])
    revision = Revision.objects.get()
    assert revision.number == 1
    assert revision.content == {"title": "讲座", "body": "揭穿“包治百病”的说法。"}
    assert revision.content_hash == services.content_hash(revision.content)
    assert record.current_revision_hash == revision.content_hash
    checkpoint = Checkpoint.objects.get()
    assert (checkpoint.stage, checkpoint.verdict, checkpoint.revision_hash) == (
        "submission",
        "pass",
        revision.content_hash,
    )
    assert [(f["term"], f["field"], f["start"], f["end"]) for f in checkpoint.findings] == [("包治百病", "正文", 3, 7)]


def test_recommend_needs_opinion_and_the_recommender_checkpoint(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    with pytest.raises(TransitionBlocked) as exc:
        services.transition(record, "recommend", actor=users["reviewer_csf"], opinion="  ")
    assert exc.value.errors == ["请填写意见", "推荐单位内容审核尚未完成（当前版本）"]

    services.checkpoint_record(
        record, stage="recommender", verdict="fail", opinion="第二段表述不当", actor=users["content_csf"]
    )
    with pytest.raises(TransitionBlocked) as exc:
        services.transition(record, "recommend", actor=users["reviewer_csf"], opinion="同意推荐")
    assert exc.value.errors == ["推荐单位内容审核未通过：第二段表述不当"]

    services.checkpoint_record(
        record, stage="recommender", verdict="pass", opinion="已修改确认", actor=users["content_csf"]
    )
    record = services.transition(record, "recommend", actor=users["reviewer_csf"], opinion="同意推荐")
    assert record.state == "recommended"


def test_a_revised_record_needs_a_new_checkpoint(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    services.checkpoint_record(
        record, stage="recommender", verdict="pass", opinion="无问题", actor=users["content_csf"]
    )
    services.transition(record, "return_for_revision", actor=users["reviewer_csf"], opinion="请补充预算")
    with pytest.raises(TransitionBlocked) as exc:
        services.transition(record, "resubmit", actor=users["applicant_csf_br1"])
    assert exc.value.errors == ["自退回以来内容没有任何修改，请修改后再提交"]
    Dossier.objects.filter(pk=record.pk).update(body="补充了预算明细。")
    record.refresh_from_db()
    record = services.transition(record, "resubmit", actor=users["applicant_csf_br1"])
    assert Revision.objects.filter(record_id=record.pk).count() == 2
    with pytest.raises(TransitionBlocked) as exc:
        services.transition(record, "recommend", actor=users["reviewer_csf"], opinion="同意")
    assert exc.value.errors == ["推荐单位内容审核尚未完成（当前版本）"]


def test_conflict_forbidden_unknown(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    with pytest.raises(TransitionConflict) as exc:
        services.transition(record, "submit", actor=users["applicant_csf_br1"])
    assert exc.value.errors == [
        "记录当前状态为“已提交（待推荐单位审核）”，无法执行“提交”：可能已被他人处理，请刷新后重试"
    ]
    with pytest.raises(TransitionForbidden) as exc:
        services.transition(record, "decline", actor=users["reviewer_gd_cast"], opinion="不同意")
    assert exc.value.errors == ["您没有权限执行“不予推荐”"]
    with pytest.raises(UnknownTransition) as exc:
        services.transition(record, "approve_everything", actor=users["cast_staff"])
    assert exc.value.errors == ["不存在名为“approve_everything”的操作"]


def test_a_stale_copy_gets_a_conflict(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    stale = Dossier.objects.get(pk=record.pk)
    services.transition(record, "decline", actor=users["reviewer_csf"], opinion="不符合条件")
    with pytest.raises(TransitionConflict):
        services.transition(stale, "return_for_revision", actor=users["reviewer_csf"], opinion="请修改")
    assert AuditEvent.objects.filter(record_id=record.pk, action="return_for_revision").count() == 0


def test_audit_event_and_outbox_rows_of_a_transition(
    users, orgs, open_round, mailoutbox, django_capture_on_commit_callbacks
):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(
            record,
            "return_for_revision",
            actor=users["reviewer_csf"],
            opinion="请补充绩效目标",
            client_ip="10.0.0.8",
        )
    event = AuditEvent.objects.order_by("-pk").first()
    assert (
        event.action,
        event.from_state,
        event.to_state,
        event.actor_org,
        event.actor_role,
        event.opinion,
        event.client_ip,
    ) == ("return_for_revision", "submitted", "returned", "CSF", "society_reviewer", "请补充绩效目标", "10.0.0.8")
    rows = Notification.objects.filter(message_key="return_for_revision").order_by("channel")
    assert [(r.recipient.username, r.channel, r.status) for r in rows] == [
        ("applicant_csf_br1", "email", "sent"),
        ("applicant_csf_br1", "in_app", "sent"),
    ]
    assert rows[0].context["opinion"] == "请补充绩效目标"
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["applicant_csf_br1@demo.zhihui.local"], "【请修改】乡村科普讲座 被退回修改")
    ]
    assert "意见：请补充绩效目标" in mailoutbox[0].body
    assert verify_chain() == (AuditEvent.objects.count(), None)


def test_an_error_after_the_state_change_rolls_everything_back(
    users, orgs, open_round, mailoutbox, django_capture_on_commit_callbacks
):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    mailoutbox.clear()
    before = counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.transition(record, "return_for_revision", actor=users["reviewer_csf"], opinion="请修改")
            raise RuntimeError("a later step failed")
    assert callbacks == []
    record.refresh_from_db()
    assert record.state == "submitted"
    assert counts() == before
    assert mailoutbox == []


def test_checkpoint_refusals(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    from workflows.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        services.checkpoint_record(record, stage="nonsense", verdict="maybe", opinion="", actor=users["content_csf"])
    assert exc.value.errors == [
        "未知的审核环节“nonsense”",
        "审核结论必须是 pass（通过）或 fail（不通过）",
        "请填写审核意见",
    ]
    with pytest.raises(TransitionConflict) as exc:
        services.checkpoint_record(record, stage="cast", verdict="pass", opinion="可", actor=users["content_cast"])
    assert exc.value.errors == ["记录当前状态“已提交（待推荐单位审核）”不需要“中国科协内容审核”"]
    with pytest.raises(TransitionForbidden) as exc:
        services.checkpoint_record(
            record, stage="recommender", verdict="pass", opinion="可", actor=users["content_gd_cast"]
        )
    assert exc.value.errors == ["只有负责该环节的内容审核员可以作出审核结论"]
    assert Checkpoint.objects.filter(stage="recommender").count() == 0


def test_expert_assignment_refuses_conflict_of_interest(users, orgs, open_round):
    from workflows.exceptions import InvalidInput

    record = dossier_in("expert_review", users=users, orgs=orgs, round=open_round)
    with pytest.raises(InvalidInput) as exc:
        services.assignment_create(record, stage="expert", assignee=users["expert_5"], actor=users["cast_staff"])
    assert exc.value.errors == ["专家五：利益冲突：专家所在单位即该记录的推荐单位"]
    with pytest.raises(InvalidInput) as exc:
        services.assignment_create(record, stage="expert", assignee=users["expert_1"], actor=users["cast_staff"])
    assert exc.value.errors == ["专家一 已被分配该记录的此项任务"]
    with pytest.raises(InvalidInput) as exc:
        services.assignment_create(record, stage="expert", assignee=users["reviewer_csf"], actor=users["cast_staff"])
    assert exc.value.errors == [
        "张翔（中国水产学会） 不是评审专家",
        "张翔（中国水产学会）：利益冲突：专家所在单位即该记录的推荐单位",
    ]
    with pytest.raises(TransitionForbidden):
        services.assignment_create(record, stage="expert", assignee=users["expert_2"], actor=users["reviewer_csf"])
    # the assigned expert is told
    assert (
        Notification.objects.filter(message_key="assigned", recipient=users["expert_1"], channel="in_app").count() == 1
    )


def test_api_transitions_list_with_blocked_reasons(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    response = api_as(users["reviewer_csf"]).get(f"/api/v1/dossiers/{record.pk}/transitions/")
    assert response.status_code == 200
    assert [(t["name"], t["allowed"], t["blocked_reasons"], t["opinion"]) for t in response.json()] == [
        ("decline", True, [], "required"),
        ("recommend", False, ["推荐单位内容审核尚未完成（当前版本）"], "required"),
        ("return_for_revision", True, [], "required"),
    ]
    response = api_as(users["applicant_csf_br1"]).get(f"/api/v1/dossiers/{record.pk}/transitions/")
    assert [t["name"] for t in response.json()] == ["withdraw"]


def test_api_errors_are_json_in_the_request_language(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    client = api_as(users["reviewer_csf"])
    url = f"/api/v1/dossiers/{record.pk}/transitions/recommend/"
    response = client.post(url, {"opinion": ""}, format="json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["请填写意见", "推荐单位内容审核尚未完成（当前版本）"],
    )
    response = client.post(url, {"opinion": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["Please write an opinion", "Recommending unit content review not yet done (current revision)"],
    )
    response = client.post(url, "not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == ["请求内容不是有效的 JSON"]
    response = client.post(url, {"opinion": ["a", "b"]}, format="json")
    assert response.status_code == 400
    response = client.post(f"/api/v1/dossiers/{record.pk}/transitions/Bad-Name/", {}, format="json")
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.state == "submitted"


def test_api_history_and_content_reviews(users, orgs, open_round):
    record = dossier_in("submitted", users=users, orgs=orgs, round=open_round)
    client = api_as(users["content_csf"])
    response = client.get(f"/api/v1/dossiers/{record.pk}/content-reviews/")
    assert [(c["stage"], c["status"]) for c in response.json()] == [
        ("submission", "passed"),
        ("recommender", "required"),
        ("cast", "not_yet"),
    ]
    response = client.post(
        f"/api/v1/dossiers/{record.pk}/content-reviews/",
        {"stage": "recommender", "verdict": "pass", "opinion": "导向正确，内容真实"},
        format="json",
    )
    assert response.status_code == 201
    assert [(c["stage"], c["status"], c["reviewer"], c["opinion"]) for c in response.json()][1] == (
        "recommender",
        "passed",
        "刘芳（中国水产学会内容审核）",
        "导向正确，内容真实",
    )
    response = client.post(
        f"/api/v1/dossiers/{record.pk}/content-reviews/", {"stage": "recommender", "verdict": "ok"}, format="json"
    )
    assert response.status_code == 400
    history = api_as(users["applicant_csf_br1"]).get(f"/api/v1/dossiers/{record.pk}/history/").json()
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("submit", "draft", "submitted"),
        ("checkpoint_pass", "submitted", "submitted"),
    ]
    assert api_as(users["applicant_gd_fish"]).get(f"/api/v1/dossiers/{record.pk}/history/").status_code == 404
    assert api_as(None).get(f"/api/v1/dossiers/{record.pk}/history/").status_code == 401


def test_experts_are_assigned_only_in_expert_review(users, orgs, open_round):
    record = dossier_in("recommended", users=users, orgs=orgs, round=open_round)
    with pytest.raises(TransitionConflict) as exc:
        services.assignment_create(record, stage="expert", assignee=users["expert_1"], actor=users["cast_staff"])
    assert exc.value.errors == ["记录当前状态为“已推荐（待中国科协审核）”，不能分配“expert”任务"]
    from workflows.models import ReviewAssignment

    assert ReviewAssignment.objects.count() == 0

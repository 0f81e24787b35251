"""The public notice as CAST runs it: where and how to object (受理单位, 联系人, 电话, 地址,
邮箱) on the page, the API and the PDF, required to publish; the status the dates make
(公示期满（待办结）); no ID-card number asked; objections received by letter, fax or e-mail
entered by staff; 核查 by the recommending unit with a due date and a reminder; 部分成立 that
corrects the public text while the candidate continues; and the objector's look-up by
reference and phone."""

from __future__ import annotations

import datetime as dt
import subprocess
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from notices import services
from notices.models import NoticeStatus, Objection, ObjectionStatus, PublicNotice
from notifications.models import Notification
from tests.conftest import api_as
from tests.notices.helpers import (
    PDF_BYTES,
    bulletin,
    draft_notice,
    end_period,
    file_objection,
    published_notice,
    reviewed_notice,
    row_counts,
    states,
    upload,
)
from workflows.exceptions import InvalidInput, NotFound, TransitionBlocked, TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    notice = published_notice(users, open_round, [a, b])
    entries = {e.record_id: e for e in notice.entries.all()}
    return SimpleNamespace(a=a, b=b, notice=notice, entry_a=entries[a.pk], entry_b=entries[b.pk])


def events(record, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(record_type="testapp.bulletin", record_id=record.pk, action=action).order_by(
            "record_seq"
        )
    )


# -- 受理 block ------------------------------------------------------------------------------


def test_a_new_notice_names_cast_and_the_rounds_contact(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    notice = draft_notice(users, open_round, [a])
    assert (
        notice.accepting_unit,
        notice.contact_person,
        notice.contact_phone,
        notice.contact_address,
        notice.contact_email,
    ) == ("中国科协", "王芳", "010-68571898", "", "kjzyfw@cast.org.cn")


def test_publishing_needs_whom_and_how_to_object(users, orgs, open_round):
    open_round.contacts = []
    open_round.save(update_fields=["contacts"])
    a = bulletin(users, orgs, open_round, title="甲项目")
    notice = reviewed_notice(users, open_round, [a])
    with pytest.raises(TransitionBlocked) as exc:
        services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert exc.value.errors == [
        "请填写受理信息：“联系人”",
        "请填写受理信息：“联系电话”",
        "请填写受理信息：“通讯地址”或“电子邮箱”至少一项",
    ]
    assert states(a) == ["proposed"]
    with pytest.raises(TransitionBlocked):
        services.notice_publish(
            notice=notice, actor=users["cast_staff"], starts_on=timezone.localdate() + dt.timedelta(days=3)
        )
    services.notice_contacts_update(
        notice=notice,
        actor=users["cast_staff"],
        data={"contact_person": "赵强", "contact_phone": "010-68571234", "contact_address": "北京市海淀区复兴路3号"},
    )
    published = services.notice_publish(notice=notice, actor=users["cast_staff"])
    assert published.status == NoticeStatus.PUBLISHED
    assert states(a) == ["public_notice"]


def test_contacts_are_changed_by_staff_only_checked_and_audited(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    notice = draft_notice(users, open_round, [a])
    for username in ("content_cast", "auditor", "reviewer_csf", "applicant_csf_br1"):
        with pytest.raises(TransitionForbidden) as exc:
            services.notice_contacts_update(notice=notice, actor=users[username], data={"contact_person": "某人"})
        assert exc.value.errors == ["只有中国科协工作人员可以修改公示的受理信息"]
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        services.notice_contacts_update(
            notice=notice,
            actor=users["cast_staff"],
            data={"contact_email": "not-an-address", "contact_person": "人" * 51, "fax": "1"},
        )
    assert exc.value.errors == ["未知的字段：fax", "“联系人”不得超过 50 个字符", "“电子邮箱”格式不正确"]
    assert row_counts() == before
    services.notice_contacts_update(
        notice=notice,
        actor=users["cast_staff"],
        data={"contact_address": "北京市海淀区复兴路3号", "contact_person": "王芳"},
    )
    event = AuditEvent.objects.filter(record_type="notices.publicnotice", record_id=notice.pk).latest("record_seq")
    assert (event.action, event.data) == (
        "notice_contacts_changed",
        {"changes": {"contact_address": {"before": "", "after": "北京市海淀区复兴路3号"}}},
    )
    response = api_as(users["cast_staff"]).post(
        f"/api/v1/notices/{notice.pk}/contacts/", {"contact_phone": "010-12345678"}, format="json"
    )
    assert (response.status_code, response.json()["contact_phone"]) == (200, "010-12345678")
    assert (
        api_as(users["auditor"])
        .post(f"/api/v1/notices/{notice.pk}/contacts/", {"contact_phone": "1"}, format="json")
        .status_code
        == 403
    )


def test_the_public_page_and_the_pdf_carry_the_accepting_block(users, setup):
    services.notice_contacts_update(
        notice=setup.notice, actor=users["cast_staff"], data={"contact_address": "北京市海淀区复兴路3号"}
    )
    page = Client().get(f"/public/notices/{setup.notice.pk}/").content.decode()
    for text in (
        "异议受理",
        "<dt>受理单位</dt><dd>中国科协</dd>",
        "<dt>联系人</dt><dd>王芳</dd>",
        '<a href="tel:010-68571898">010-68571898</a>',
        "<dt>通讯地址</dt><dd>北京市海淀区复兴路3号</dd>",
        "匿名异议不予受理",
    ):
        assert text in page
    assert "身份证" not in page
    pdf = Client().get(f"/api/v1/public/notices/{setup.notice.pk}/list.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"],
        input=b"".join(pdf.streaming_content) if pdf.streaming else pdf.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    flat = "".join(text.split())
    for line in (
        "受理单位：中国科协",
        "联系人：王芳",
        "联系电话：010-68571898",
        "通讯地址：北京市海淀区复兴路3号",
        "电子邮箱：kjzyfw@cast.org.cn",
        "匿名异议不予受理",
    ):
        assert line in flat


def test_after_the_period_the_notice_reads_expired_until_finished(users, setup):
    assert setup.notice.phase() == "published"
    end_period(setup.notice)
    assert (setup.notice.phase(), setup.notice.phase_label()) == ("expired", "公示期满（待办结）")
    public = APIClient().get(f"/api/v1/public/notices/{setup.notice.pk}/").json()
    assert (public["status"], public["phase"], public["phase_label"]) == ("published", "expired", "公示期满（待办结）")
    assert "公示期满（待办结）" in Client().get("/public/notices/").content.decode()
    finished = services.notice_finish(notice=setup.notice, actor=users["cast_staff"])
    assert finished.phase() == "closed"


def test_an_objection_needs_no_identity_document(users, setup):
    objection = file_objection(setup.notice, setup.entry_a.pk, identity="")
    assert (objection.identity, objection.channel, objection.received_on) == ("", "online", timezone.localdate())


# -- objections by letter, fax, e-mail -------------------------------------------------------


def letter(entry_id, **overrides):
    return {
        "channel": "letter",
        "received_on": timezone.localdate().isoformat(),
        "entry": str(entry_id),
        "name": "刘大海",
        "unit": "徐闻县下桥镇农技站",
        "phone": "0759-4881234",
        "content": "来信反映：该项目所列服务点实际未开展活动，请核实。",
        **overrides,
    }


def test_staff_enter_a_letter_with_its_scan(users, setup):
    objection = services.objection_register(
        notice=setup.notice,
        actor=users["cast_staff"],
        data=letter(setup.entry_a.pk),
        files=[upload("来信扫描.pdf", PDF_BYTES)],
    )
    stored = Objection.objects.get(pk=objection.pk)
    assert (stored.channel, stored.received_on, stored.registered_by, stored.client_ip, stored.identity) == (
        "letter",
        timezone.localdate(),
        users["cast_staff"],
        None,
        "",
    )
    assert [e.original_name for e in stored.evidence.all()] == ["来信扫描.pdf"]
    event = events(setup.a, "objection_filed")[-1]
    assert (event.actor, event.actor_role, event.data) == (
        users["cast_staff"],
        "cast_staff",
        {"reference": stored.reference, "channel": "letter", "received_on": timezone.localdate().isoformat()},
    )


def test_a_registered_objection_is_checked_like_any_other(users, setup):
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        services.objection_register(
            notice=setup.notice,
            actor=users["cast_staff"],
            data=letter(
                setup.entry_a.pk,
                channel="online",
                received_on=(timezone.localdate() + dt.timedelta(days=1)).isoformat(),
                phone="",
            ),
        )
    assert exc.value.errors == ["请填写联系电话", "受理方式必须是来信、传真、电子邮件或来访", "收到日期不能晚于今天"]
    with pytest.raises(InvalidInput) as exc:
        services.objection_register(
            notice=setup.notice,
            actor=users["cast_staff"],
            data=letter(setup.entry_a.pk, received_on=(timezone.localdate() - dt.timedelta(days=1)).isoformat()),
        )
    assert exc.value.errors == [
        f"收到日期须在公示期内（{setup.notice.starts_on.isoformat()} 至 {setup.notice.ends_on.isoformat()}）"
    ]
    with pytest.raises(InvalidInput) as exc:
        services.objection_register(
            notice=setup.notice, actor=users["cast_staff"], data={**letter("x"), "channel": "", "received_on": ""}
        )
    assert exc.value.errors == ["请选择异议对象（公示名单中的一项）", "请选择受理方式", "请填写收到日期"]
    assert row_counts() == before
    for username in ("content_cast", "auditor", "reviewer_csf"):
        with pytest.raises(TransitionForbidden):
            services.objection_register(notice=setup.notice, actor=users[username], data=letter(setup.entry_a.pk))


def test_staff_enter_an_objection_over_the_api_and_on_the_page(users, setup):
    response = api_as(users["cast_staff"]).post(
        f"/api/v1/notices/{setup.notice.pk}/objections/",
        {**letter(setup.entry_b.pk, channel="fax"), "evidence": [upload("传真.pdf", PDF_BYTES)]},
        format="multipart",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["channel"], body["registered_by"], [e["original_name"] for e in body["evidence"]]) == (
        "fax",
        "cast_staff",
        ["传真.pdf"],
    )
    assert (
        api_as(users["auditor"])
        .post(f"/api/v1/notices/{setup.notice.pk}/objections/", letter(setup.entry_b.pk), format="multipart")
        .status_code
        == 403
    )
    client = Client()
    client.force_login(users["cast_staff"])
    response = client.post(
        f"/public/manage/notices/{setup.notice.pk}/objections/", letter(setup.entry_a.pk, channel="email"), follow=True
    )
    assert "异议已登记" in response.content.decode()
    assert Objection.objects.filter(channel="email").count() == 1


# -- 核查 and 部分成立 -------------------------------------------------------------------------


def test_verification_by_the_recommending_unit_then_partly_upheld(
    users, orgs, setup, django_capture_on_commit_callbacks
):
    objection = file_objection(setup.notice, setup.entry_a.pk)
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        referred = services.objection_refer(
            objection=objection, actor=users["cast_staff"], request="请核实服务时长统计。", due=due
        )
    assert (referred.status, referred.verify_org, referred.verify_due.isoformat()) == (
        ObjectionStatus.VERIFYING,
        orgs["CSF"],
        due,
    )
    assert sorted(
        Notification.objects.filter(recipient=users["reviewer_csf"], message_key="objection_referred").values_list(
            "channel", flat=True
        )
    ) == ["email", "in_app"]
    # The unit's reviewer sees what to verify, not who objected; another unit's does not see it.
    listing = api_as(users["reviewer_csf"]).get("/api/v1/verifications/").json()
    assert [(r["reference"], r["verify_request"]) for r in listing["results"]] == [
        (objection.reference, "请核实服务时长统计。")
    ]
    assert "objector_name" not in listing["results"][0] and "phone" not in listing["results"][0]
    assert api_as(users["reviewer_gd_cast"]).get("/api/v1/verifications/").json()["results"] == []
    assert (
        api_as(users["reviewer_gd_cast"])
        .post(f"/api/v1/verifications/{objection.pk}/report/", {"findings": "x"}, format="json")
        .status_code
        == 404
    )
    page = Client()
    page.force_login(users["reviewer_csf"])
    html = page.get("/public/manage/verifications/").content.decode()
    assert objection.reference in html and "王建国" not in html
    # The issue waits for CAST while the objection is open.
    end_period(setup.notice)
    with pytest.raises(TransitionBlocked):
        services.notice_finish(notice=setup.notice, actor=users["cast_staff"])
    response = api_as(users["reviewer_csf"]).post(
        f"/api/v1/verifications/{objection.pk}/report/",
        {"findings": "经核查，服务时长统计有误，实际为 320 小时，其余属实。"},
        format="json",
    )
    assert (response.status_code, response.json()["verify_findings"]) == (
        200,
        "经核查，服务时长统计有误，实际为 320 小时，其余属实。",
    )
    assert [e.actor for e in events(setup.a, "objection_verified")] == [users["reviewer_csf"]]
    decided = services.objection_decide(
        objection=objection,
        decision="partly",
        reason="服务时长有误，予以更正；其余事实属实，继续公示。",
        public_title="甲项目（服务时长 320 小时）",
        actor=users["cast_staff"],
    )
    assert decided.status == ObjectionStatus.PARTLY_UPHELD
    setup.entry_a.refresh_from_db()
    setup.notice.refresh_from_db()
    assert setup.entry_a.public_title == "甲项目（服务时长 320 小时）"
    assert "甲项目（服务时长 320 小时）" in setup.notice.body
    assert states(setup.a) == ["public_notice"]
    event = events(setup.a, "objection_partly_upheld")[-1]
    assert event.data["correction"]["before"]["public_title"] == "甲项目"
    assert event.data["correction"]["after"]["public_title"] == "甲项目（服务时长 320 小时）"
    finished = services.notice_finish(notice=setup.notice, actor=users["cast_staff"])
    assert finished.status == NoticeStatus.CLOSED
    assert states(setup.a, setup.b) == ["approved", "approved"]


def test_refer_and_partly_refuse_bad_input(users, setup):
    objection = file_objection(setup.notice, setup.entry_a.pk)
    with pytest.raises(InvalidInput) as exc:
        services.objection_refer(objection=objection, actor=users["cast_staff"], request=" ", due="2020-01-01")
    assert exc.value.errors == ["请填写核查要求", "核查期限不得早于今天"]
    with pytest.raises(InvalidInput) as exc:
        services.objection_refer(objection=objection, actor=users["cast_staff"], request="核实", due="明天")
    assert exc.value.errors == ["核查期限必须是日期（YYYY-MM-DD）"]
    with pytest.raises(TransitionForbidden):
        services.objection_refer(objection=objection, actor=users["reviewer_csf"], request="核实")
    with pytest.raises(InvalidInput) as exc:
        services.objection_decide(objection=objection, decision="partly", reason="部分属实", actor=users["cast_staff"])
    assert exc.value.errors == ["异议部分成立时，请填写更正后的公示名称或公示摘要"]
    with pytest.raises(InvalidInput) as exc:
        services.objection_decide(
            objection=objection, decision="partly", reason="部分属实", public_title="甲项目", actor=users["cast_staff"]
        )
    assert exc.value.errors == ["更正后的公示内容与原内容相同"]
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.FILED
    with pytest.raises(NotFound):
        services.objection_verify(objection=objection, actor=users["reviewer_csf"], findings="未被请求核查")
    services.objection_decide(objection=objection, decision="dismiss", reason="不属实", actor=users["cast_staff"])
    with pytest.raises(TransitionConflict):
        services.objection_refer(objection=objection, actor=users["cast_staff"], request="核实")


def test_the_default_due_date_is_five_working_days_and_the_reminder_goes_once(users, setup):
    objection = file_objection(setup.notice, setup.entry_a.pk)
    referred = services.objection_refer(objection=objection, actor=users["cast_staff"], request="请核实。")
    from workflows.calendar import notice_end

    assert referred.verify_due == notice_end(timezone.localdate(), 6, "working")
    assert services.objection_verify_reminders(today=referred.verify_due - dt.timedelta(days=5)) == 0
    day_before = referred.verify_due - dt.timedelta(days=1)
    assert services.objection_verify_reminders(today=day_before) == 1
    assert services.objection_verify_reminders(today=day_before) == 0
    assert services.objection_verify_reminders(today=referred.verify_due) == 0
    assert sorted(
        Notification.objects.filter(recipient=users["reviewer_csf"], message_key="objection_verify_due").values_list(
            "channel", flat=True
        )
    ) == ["email", "in_app"]


# -- the objector's look-up --------------------------------------------------------------------


def test_the_objector_looks_up_by_reference_and_phone(users, setup):
    objection = file_objection(setup.notice, setup.entry_a.pk)
    public = APIClient()
    response = public.post(
        "/api/v1/public/objections/lookup/",
        {"reference": objection.reference.lower(), "phone": "+86 139 0000 1234"},
        format="json",
    )
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("reference", "status", "entry_title", "decision_reason")} == {
        "reference": objection.reference,
        "status": "filed",
        "entry_title": "甲项目",
        "decision_reason": "",
    }
    assert "phone" not in response.json() and "objector_name" not in response.json()
    services.objection_decide(
        objection=objection, decision="dismiss", reason="经核实不属实。", actor=users["cast_staff"]
    )
    page = Client().post("/public/objections/lookup/", {"reference": objection.reference, "phone": "+86-139-0000-1234"})
    html = page.content.decode()
    assert page.status_code == 200 and "异议不成立" in html and "经核实不属实。" in html
    wrong = public.post(
        "/api/v1/public/objections/lookup/", {"reference": objection.reference, "phone": "13900009999"}, format="json"
    )
    unknown = public.post(
        "/api/v1/public/objections/lookup/", {"reference": "YY2026-ZZZZZZ", "phone": "1"}, format="json"
    )
    assert (wrong.status_code, unknown.status_code) == (404, 404)
    assert wrong.json()["errors"] == unknown.json()["errors"] == ["未找到该受理编号，或联系电话与提交时填写的不一致"]
    empty = public.post("/api/v1/public/objections/lookup/", {}, format="json")
    assert (empty.status_code, empty.json()["errors"]) == (400, ["请填写“受理编号”", "请填写“联系电话”"])


def test_look_ups_are_rate_limited_per_address(users, setup):
    public = APIClient()
    answers = {
        public.post(
            "/api/v1/public/objections/lookup/", {"reference": "YY2026-ZZZZZZ", "phone": "1"}, format="json"
        ).status_code
        for _ in range(services.LOOKUP_RATE_LIMIT)
    }
    assert answers == {404}
    limited = public.post("/api/v1/public/objections/lookup/", {"reference": "X", "phone": "1"}, format="json")
    assert limited.status_code == 429


def test_the_manage_page_offers_refer_partly_and_registering(users, setup):
    file_objection(setup.notice, setup.entry_a.pk)
    client = Client()
    client.force_login(users["cast_staff"])
    html = client.get(f"/public/manage/notices/{setup.notice.pk}/").content.decode()
    for text in (
        "异议受理信息",
        "请推荐单位核查",
        "异议部分成立（更正公示内容，继续公示）",
        "登记来信、传真、电子邮件或来访异议",
    ):
        assert text in html
    auditor = Client()
    auditor.force_login(users["auditor"])
    html = auditor.get(f"/public/manage/notices/{setup.notice.pk}/").content.decode()
    assert "请推荐单位核查" not in html and "登记来信" not in html
    assert PublicNotice.objects.count() == 1

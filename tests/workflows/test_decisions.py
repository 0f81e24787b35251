"""审定: decision meetings (部务会, 专题会) recorded by CAST staff with their minutes PDF and the
records they decided; ``propose`` (and ``shortlist``) require one. Over the API and the pages,
every role, every bad input listed at once, the audit events on the meeting's chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from applications.models import Application
from nominations.models import Nomination
from tests.applications.builders import application_in, ok
from tests.applications.helpers import act, review
from tests.conftest import api_as
from tests.decisions import MINUTES_PDF, URL, attach, meeting, minutes_file
from tests.nominations.helpers import RECORD_TYPE as NOMINATION
from tests.nominations.helpers import nomination_in
from workflows.models import AuditEvent, DecisionItem, DecisionMeeting, Round

APPLICATION = "applications.application"
NOT_DECIDED = "尚未经审定会议决定：请先登记审定会议（部务会或专题会）、上传会议纪要并添加本记录"
YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
OTHERS = ("applicant_csf_br1", "reviewer_csf", "content_csf", "content_cast", "expert_1")


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def errors(response: Any, status: int = 400) -> list[str]:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()["errors"]


def post_item(client: Any, url: str, record_id: int, record_type: str = APPLICATION, **body: Any) -> Any:
    return client.post(url, {"record_type": record_type, "record_id": record_id, **body}, format="json")


def events(meeting_id: int) -> list[tuple[str, dict[str, Any], str]]:
    rows = AuditEvent.objects.filter(record_type="workflows.decisionmeeting", record_id=meeting_id)
    return [(e.action, e.data, e.opinion) for e in rows.order_by("record_seq")]


def scored(users, round_id: int, **overrides: Any) -> int:
    """An application in expert review, scored by three experts and passed by CAST's content
    review: ready for 拟立项 but for the decision meeting."""
    app_id = application_in(users, round_id, "expert_review", experts=("expert_1", "expert_2", "expert_3"), **overrides)
    from tests.applications.builders import score

    for expert in ("expert_1", "expert_2", "expert_3"):
        ok(score(users, expert, app_id), 201)
    ok(review(users, "content_cast", app_id, "cast"), 201)
    return app_id


def blocked(users, app_id: int) -> list[str]:
    """What still stands in the way of 拟立项 (the amount is filled with the form)."""
    rows = ok(api_as(users["cast_staff"]).get(f"/api/v1/applications/{app_id}/transitions/"))
    reasons = next(t["blocked_reasons"] for t in rows if t["name"] == "propose")
    return [r for r in reasons if r != "请填写拟资助金额"]


# -- create, with every problem listed -----------------------------------------------------------


def test_cast_staff_record_a_meeting_with_its_minutes(users, round_id):
    made = meeting(users, round_id, name="2026年第12次书记处专题会", held_on=YESTERDAY)
    found = DecisionMeeting.objects.get(pk=made["id"])
    assert (found.round_id, found.kind, found.name, found.held_on.isoformat(), found.has_minutes) == (
        round_id,
        "ministerial",
        "2026年第12次书记处专题会",
        YESTERDAY,
        True,
    )
    assert (made["kind_label"], made["minutes_name"], made["minutes_size"], made["items"]) == (
        "部务会",
        "会议纪要.pdf",
        len(MINUTES_PDF),
        [],
    )
    assert found.minutes.read() == MINUTES_PDF
    assert [(a, d) for a, d, _o in events(found.pk)] == [
        (
            "meeting_created",
            {
                "changes": {
                    "round": round_id,
                    "kind": "ministerial",
                    "name": "2026年第12次书记处专题会",
                    "held_on": YESTERDAY,
                    "participants": "书记处书记；科普部、农技中心负责同志",
                }
            },
        ),
        (
            "minutes_uploaded",
            {"minutes": {"name": "会议纪要.pdf", "size": len(MINUTES_PDF), "sha256": found.minutes_sha256}},
        ),
    ]
    event = AuditEvent.objects.filter(record_type="workflows.decisionmeeting", record_id=found.pk).first()
    assert (event.actor.username, event.actor_role, event.actor_org) == ("cast_staff", "cast_staff", "CAST")


def test_every_bad_input_of_a_meeting_is_listed_and_nothing_written(users):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    staff = api_as(users["cast_staff"])
    before = DecisionMeeting.objects.count(), AuditEvent.objects.count()
    assert errors(staff.post(URL, {}, format="json")) == [
        "请填写“批次”",
        "请填写“会议类型”",
        "请填写“会议名称”",
        "请填写“会议日期”",
        "请填写“参会人员”",
    ]
    bad = {
        "round": 99999,
        "kind": "board",
        "name": "会" * 201,
        "held_on": "2026-13-01",
        "participants": 5,
        "colour": "red",
    }
    assert errors(staff.post(URL, bad, format="json")) == [
        "未知的字段：colour",
        "“批次”不存在",
        "“会议类型”必须是 ministerial（部务会）或 special（专题会）",
        "“会议名称”不得超过 200 个字符",
        "“会议日期”必须是日期（YYYY-MM-DD）",
        "“参会人员”必须是文本",
    ]
    future = {"round": Round.objects.first().pk, "kind": "special", "name": "专题会", "held_on": tomorrow}
    future["participants"] = "书记处"
    future["minutes"] = minutes_file("纪要.pdf", b"not a pdf at all")
    assert errors(staff.post(URL, future, format="multipart")) == [
        "“会议日期”不得晚于今天（会议开过后才登记）",
        "会议纪要：文件“纪要.pdf”的内容不是 PDF 格式（按文件内容识别，与扩展名无关）",
    ]
    assert (DecisionMeeting.objects.count(), AuditEvent.objects.count()) == before


def test_the_minutes_are_a_pdf_by_their_bytes(users, round_id):
    made = meeting(users, round_id, minutes=False)
    staff = api_as(users["cast_staff"])
    assert made["has_minutes"] is False
    url = f"{URL}{made['id']}/minutes/"
    assert staff.get(url).status_code == 404
    assert errors(staff.post(url, {}, format="multipart")) == ["会议纪要：请选择要上传的文件"]
    renamed = minutes_file("纪要.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    assert errors(staff.post(url, {"file": renamed}, format="multipart")) == [
        "会议纪要：文件“纪要.pdf”的内容不是 PDF 格式（按文件内容识别，与扩展名无关）"
    ]
    assert errors(staff.post(url, {"file": minutes_file("空.pdf", b"")}, format="multipart")) == [
        "会议纪要：文件“空.pdf”是空文件"
    ]
    assert not DecisionMeeting.objects.get(pk=made["id"]).has_minutes
    # A PDF without the extension is a PDF.
    body = ok(staff.post(url, {"file": minutes_file("minutes", MINUTES_PDF)}, format="multipart"))
    assert (body["has_minutes"], body["minutes_name"]) == (True, "minutes")
    download = staff.get(url)
    assert (download.status_code, b"".join(download.streaming_content)) == (200, MINUTES_PDF)
    # Replaced: the event keeps the one it replaced.
    second = MINUTES_PDF + b"% v2\n"
    ok(staff.post(url, {"file": minutes_file("纪要（修订）.pdf", second)}, format="multipart"))
    last = events(made["id"])[-1]
    assert last[0] == "minutes_uploaded"
    assert last[1]["minutes"]["name"] == "纪要（修订）.pdf"
    assert last[1]["replaced"]["name"] == "minutes"


def test_change_and_delete_a_meeting(users, round_id):
    made = meeting(users, round_id)
    staff = api_as(users["cast_staff"])
    url = f"{URL}{made['id']}/"
    assert errors(staff.patch(url, {"name": "", "held_on": "昨天"}, format="json")) == [
        "“会议日期”必须是日期（YYYY-MM-DD）",
        "请填写“会议名称”",
    ]
    changed = ok(staff.patch(url, {"kind": "special", "name": "专题会（更正）"}, format="json"))
    assert (changed["kind"], changed["name"]) == ("special", "专题会（更正）")
    assert events(made["id"])[-1][:2] == (
        "meeting_changed",
        {
            "changes": {
                "kind": {"before": "ministerial", "after": "special"},
                "name": {"before": "中国科协书记处专题会议", "after": "专题会（更正）"},
            }
        },
    )
    app_id = scored(users, round_id)
    item = attach(users, made["id"], APPLICATION, app_id)["items"][0]
    # A meeting with records cannot be deleted, nor moved to another round.
    other_round = Round.objects.get(kind="selection").pk
    assert errors(staff.patch(url, {"round": other_round}, format="json")) == ["会议已有审定事项，不能改到其他批次"]
    assert errors(staff.delete(url, {"reason": "误建"}, format="json"), 409) == [
        "会议已有审定事项，不能删除；请先移除审定事项"
    ]
    assert errors(staff.delete(f"{url}items/{item['id']}/", {}, format="json")) == ["请填写移除理由"]
    assert staff.delete(f"{url}items/{item['id']}/", {"reason": "添加错误"}, format="json").status_code == 204
    assert events(made["id"])[-1] == (
        "record_detached",
        {"record_type": APPLICATION, "record_id": app_id, "decision": "approve"},
        "添加错误",
    )
    assert errors(staff.delete(url, {}, format="json")) == ["请填写删除理由"]
    assert staff.delete(url, {"reason": "误建"}, format="json").status_code == 204
    assert not DecisionMeeting.objects.filter(pk=made["id"]).exists()
    assert events(made["id"])[-1][0] == "meeting_deleted" and events(made["id"])[-1][2] == "误建"


# -- attaching records ----------------------------------------------------------------------------


def test_every_bad_item_is_listed(users, round_id):
    made = meeting(users, round_id)
    staff = api_as(users["cast_staff"])
    url = f"{URL}{made['id']}/items/"
    assert errors(staff.post(url, {}, format="json")) == [
        "请填写“记录类型”",
        "请填写“记录编号”",
        "请填写“审定结果”",
    ]
    assert errors(
        staff.post(url, {"record_type": APPLICATION, "record_id": 1, "decision": "maybe", "amount": "x"}, format="json")
    ) == ["“审定结果”必须是 approve（同意）或 reject（不同意）", "审定金额（元）必须是金额数字（如 50000.00）"]
    assert errors(staff.post(url, {"record_type": "x.y", "record_id": 1, "decision": "approve"}, format="json")) == [
        "未知的记录类型：x.y"
    ]
    assert errors(
        staff.post(url, {"record_type": APPLICATION, "record_id": 999999, "decision": "approve"}, format="json")
    ) == [f"记录 {APPLICATION}#999999 不存在"]
    submitted = application_in(users, round_id, "submitted", "applicant_xuwen")
    scored_id = scored(users, round_id)
    assert errors(
        staff.post(
            url,
            {"record_type": APPLICATION, "record_id": submitted, "decision": "approve", "amount": "90000"},
            format="json",
        )
    ) == [
        "该记录当前状态为“已提交（待推荐单位审核）”，不在待审定阶段（专家评审）",
        "审定金额 90,000.00 元超过申请金额 80,000.00 元",
    ]
    assert errors(
        staff.post(
            url,
            {"record_type": APPLICATION, "record_id": scored_id, "decision": "reject", "amount": "1"},
            format="json",
        )
    ) == ["不同意的审定事项不填审定金额"]
    # Of another round: refused.
    nid = nomination_in(users, Round.objects.get(kind="selection").pk, "volunteer", "expert_review")
    assert errors(
        staff.post(url, {"record_type": NOMINATION, "record_id": nid, "decision": "approve"}, format="json")
    ) == ["该记录不属于本会议的批次"]
    assert DecisionItem.objects.count() == 0
    ok(
        staff.post(
            url,
            {"record_type": APPLICATION, "record_id": scored_id, "decision": "approve", "amount": "60000"},
            format="json",
        ),
        201,
    )
    assert errors(
        staff.post(url, {"record_type": APPLICATION, "record_id": scored_id, "decision": "approve"}, format="json")
    ) == ["该记录已在本会议的审定事项中"]
    assert events(made["id"])[-1][:2] == (
        "record_attached",
        {"record_type": APPLICATION, "record_id": scored_id, "decision": "approve", "amount": "60000.00"},
    )


# -- propose requires it --------------------------------------------------------------------------


def test_propose_is_refused_without_a_meeting_and_allowed_with_one(users, round_id):
    app_id = scored(users, round_id)
    staff = "cast_staff"
    assert blocked(users, app_id) == [NOT_DECIDED]
    assert errors(act(users, staff, app_id, "propose", opinion="拟立项。", funding_amount="60000")) == [NOT_DECIDED]

    # A meeting without its minutes is not enough.
    bare = meeting(users, round_id, minutes=False, name="书记处会议")
    attach(users, bare["id"], APPLICATION, app_id, amount="50000")
    assert blocked(users, app_id) == ["审定会议《书记处会议》尚未上传会议纪要（PDF）"]
    api_as(users["cast_staff"]).post(f"{URL}{bare['id']}/minutes/", {"file": minutes_file()}, format="multipart")
    assert blocked(users, app_id) == []
    # The amount is the meeting's.
    assert errors(act(users, staff, app_id, "propose", opinion="拟立项。", funding_amount="60000")) == [
        "拟资助金额须为审定会议《书记处会议》决定的 50,000.00 元"
    ]
    # A later meeting's 不同意 stands over the earlier 同意.
    later = meeting(users, round_id, name="复议会", held_on=timezone.localdate().isoformat())
    attach(users, later["id"], APPLICATION, app_id, decision="reject")
    assert blocked(users, app_id) == ["审定会议《复议会》的决定为不同意"]
    later_item = DecisionItem.objects.get(meeting_id=later["id"])
    removed = api_as(users["cast_staff"]).delete(
        f"{URL}{later['id']}/items/{later_item.pk}/", {"reason": "误录"}, format="json"
    )
    assert removed.status_code == 204

    proposed = ok(act(users, staff, app_id, "propose", opinion="经审定会议决定，拟立项。", funding_amount="50000"))
    assert (proposed["state"], proposed["funding_amount"]) == ("proposed", "50000.00")
    event = AuditEvent.objects.filter(record_type=APPLICATION, record_id=app_id, action="propose").get()
    found = DecisionMeeting.objects.get(pk=bare["id"])
    assert event.data == {
        "funding_amount": "50000",
        "decision_meeting": {
            "id": found.pk,
            "kind": "ministerial",
            "name": "书记处会议",
            "held_on": YESTERDAY,
            "minutes_sha256": found.minutes_sha256,
            "decision": "approve",
            "amount": "50000.00",
        },
    }
    # Once acted on, the decision it rests on stays.
    item = DecisionItem.objects.get(meeting=found)
    assert errors(
        api_as(users["cast_staff"]).delete(f"{URL}{found.pk}/items/{item.pk}/", {"reason": "误录"}, format="json"), 409
    ) == ["该记录已按审定决定办理（当前状态“拟立项”），不能移除"]


def test_shortlist_requires_a_meeting(users):
    round_ = Round.objects.get(kind="selection")
    nid = nomination_in(users, round_.pk, "volunteer", "expert_review")
    from tests.nominations.helpers import act as nom_act
    from tests.nominations.helpers import assign, score
    from tests.nominations.helpers import review as nom_review

    for expert in ("expert_1", "expert_2", "expert_3"):
        ok(assign(users, nid, expert), 201)
        ok(score(users, expert, nid), 201)
    ok(nom_review(users, "content_cast", nid, "cast"), 201)
    assert errors(nom_act(users, "cast_staff", nid, "shortlist")) == [NOT_DECIDED]
    made = meeting(users, round_.pk)
    attach(users, made["id"], NOMINATION, nid)
    assert ok(nom_act(users, "cast_staff", nid, "shortlist"))["state"] == "shortlisted"
    event = AuditEvent.objects.get(record_type=NOMINATION, record_id=nid, action="shortlist")
    assert event.data["decision_meeting"]["id"] == made["id"]
    assert Nomination.objects.get(pk=nid).state == "shortlisted"


# -- who may -----------------------------------------------------------------------------------------


def test_access_per_role_over_the_api(users, round_id):
    made = meeting(users, round_id)
    url = f"{URL}{made['id']}/"
    body = {"round": round_id, "kind": "special", "name": "会", "held_on": YESTERDAY, "participants": "甲"}
    for username in ("cast_staff", "auditor"):
        client = api_as(users[username])
        assert [m["id"] for m in ok(client.get(URL))] == [made["id"]]
        assert ok(client.get(URL, {"round": round_id + 1000})) == []
        assert ok(client.get(url))["name"] == "中国科协书记处专题会议"
        assert client.get(f"{url}minutes/").status_code == 200
    auditor = api_as(users["auditor"])
    assert errors(auditor.post(URL, body, format="json"), 403) == ["只有中国科协工作人员可以登记审定会议"]
    assert errors(auditor.patch(url, {"name": "改"}, format="json"), 403) == ["只有中国科协工作人员可以登记审定会议"]
    assert auditor.post(f"{url}items/", {}, format="json").status_code == 403
    assert auditor.post(f"{url}minutes/", {"file": minutes_file()}, format="multipart").status_code == 403
    assert auditor.delete(url, {"reason": "x"}, format="json").status_code == 403
    for username in OTHERS:
        client = api_as(users[username])
        assert client.get(URL).status_code == 403
        assert client.get(url).status_code == 403
        assert client.post(URL, body, format="json").status_code == 403
    assert api_as(None).get(URL).status_code in (401, 403)
    assert DecisionMeeting.objects.count() == 1


# -- the pages ------------------------------------------------------------------------------------------


def test_the_pages_for_cast_staff_and_the_auditor(client, users, round_id):
    app_id = scored(users, round_id)
    client.force_login(users["cast_staff"])
    page = client.get("/workflow/decisions/")
    assert page.status_code == 200 and "登记审定会议" in page.content.decode()
    # Every problem at once, nothing written.
    response = client.post(
        "/workflow/decisions/", {"round": "", "kind": "", "name": "", "held_on": "", "participants": ""}
    )
    body = response.content.decode()
    assert response.status_code == 400
    for message in ("请填写“批次”", "请填写“会议类型”", "请填写“会议名称”", "请填写“会议日期”", "请填写“参会人员”"):
        assert message in body
    assert DecisionMeeting.objects.count() == 0
    posted = {
        "round": round_id,
        "kind": "special",
        "name": "智惠行动立项审定专题会",
        "held_on": YESTERDAY,
        "participants": "书记处书记；科普部负责同志",
        "minutes": minutes_file(),
    }
    response = client.post("/workflow/decisions/", posted, follow=True)
    found = DecisionMeeting.objects.get()
    assert response.redirect_chain[-1][0] == f"/workflow/decisions/{found.pk}/"
    body = response.content.decode()
    assert "审定会议已登记" in body and "会议纪要.pdf" in body
    name = Application.objects.get(pk=app_id).name
    assert f'value="{APPLICATION}:{app_id}"' in body and name in body
    response = client.post(
        f"/workflow/decisions/{found.pk}/items/",
        {"record": f"{APPLICATION}:{app_id}", "decision": "approve", "amount": "60,000"},
        follow=True,
    )
    body = response.content.decode()
    assert "审定事项已添加" in body and "60000.00" in body
    assert DecisionItem.objects.get().amount == 60000
    response = client.post(f"/workflow/decisions/{found.pk}/items/", {"record": "", "decision": ""}, follow=True)
    assert "请填写“记录类型”" in response.content.decode()
    # The record's page now lets 拟立项 go.
    assert blocked(users, app_id) == []

    client.force_login(users["auditor"])
    body = client.get(f"/workflow/decisions/{found.pk}/").content.decode()
    assert "智惠行动立项审定专题会" in body and "添加会议决定的记录" not in body and "登记审定会议" not in body
    assert client.get(f"/workflow/decisions/{found.pk}/minutes/").status_code == 200
    assert (
        client.post(f"/workflow/decisions/{found.pk}/minutes/", {"minutes": minutes_file()}, follow=True).status_code
        == 200
    )
    assert events(found.pk)[-1][0] == "record_attached"  # the auditor's upload changed nothing
    for username in OTHERS:
        client.force_login(users[username])
        assert client.get("/workflow/decisions/").status_code == 404
        assert client.get(f"/workflow/decisions/{found.pk}/").status_code == 404
        assert client.get(f"/workflow/decisions/{found.pk}/minutes/").status_code == 404
        assert client.post(f"/workflow/decisions/{found.pk}/items/", {}).status_code == 404

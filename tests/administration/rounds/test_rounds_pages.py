"""The round pages as each role uses them: CAST staff create and change a round with typed
fields (no JSON), confirm a change to a round with records, edit sub-projects; the auditor reads;
a recommending unit sets its internal deadline; everyone reads an opened round, applicants see
what their unit may apply for and why not."""

from __future__ import annotations

import datetime as dt
import html
import re

from django.utils import timezone

from tests.applications.builders import create_draft
from workflows.models import AuditEvent, Round, UnitDeadline


def local(days: float) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_who_sees_the_round_management(client, users):
    round_ = Round.objects.get(kind="application")
    for username in ("cast_staff", "auditor"):
        client.force_login(users[username])
        assert client.get("/manage/rounds/").status_code == 200
        assert client.get(f"/manage/rounds/{round_.pk}/").status_code == 200
    for username in ("applicant_csf_br1", "reviewer_csf", "content_cast", "expert_1"):
        client.force_login(users[username])
        assert client.get("/manage/rounds/").status_code == 404
        assert client.get(f"/manage/rounds/{round_.pk}/").status_code == 404
        assert client.get("/manage/rounds/new/").status_code == 404
    client.logout()
    assert client.get("/manage/rounds/")["Location"].startswith("/login/")
    # The auditor reads the settings; no form to change them.
    client.force_login(users["auditor"])
    body = client.get(f"/manage/rounds/{round_.pk}/").content.decode()
    assert "保存设置" not in body and "每个推荐单位每个子项目的推荐名额（子项目未设时；不填：不限名额）" in body


def test_cast_staff_create_a_round_with_typed_fields(client, users):
    client.force_login(users["cast_staff"])
    page = client.get("/manage/rounds/new/?kind=application").content.decode()
    assert 'name="s_recommender_quota"' in page and 'name="s_criteria"' in page and "JSON" not in page
    posted = {
        "kind": "application",
        "title": "2027年度智惠行动项目",
        "year": "2027",
        "submission_opens": local(-1),
        "submission_closes": local(10),
        "recommender_review_due": local(20),
        "cast_review_due": local(30),
        "notice_working_days": "5",
        "notice_day_kind": "working",
        "s_recommender_quota": "2",
        "s_criteria": "necessity,必要性,50\nfeasibility,可行性,50",
        "contact_0_name": "王芳",
        "contact_0_purpose": "业务咨询",
        "contact_0_phone": "010-68571898",
    }
    bad = client.post("/manage/rounds/new/", {**posted, "year": "", "s_criteria": "necessity,必要性,60"})
    assert bad.status_code == 400
    assert "请填写“年度”" in text(bad) and "设置项 criteria 的权重之和必须为 100" in text(bad)
    response = client.post("/manage/rounds/new/", posted)
    assert response.status_code == 302
    round_ = Round.objects.get(title="2027年度智惠行动项目")
    assert response["Location"] == f"/manage/rounds/{round_.pk}/"
    assert round_.settings == {
        "recommender_quota": 2,
        "criteria": [
            {"key": "necessity", "label": "必要性", "weight": 50},
            {"key": "feasibility", "label": "可行性", "weight": 50},
        ],
    }
    assert round_.contacts == [{"name": "王芳", "purpose": "业务咨询", "phone": "010-68571898", "email": ""}]
    assert AuditEvent.objects.filter(record_type="workflows.round", record_id=round_.pk, action="created").count() == 1


def test_a_change_to_a_round_with_records_is_confirmed_on_the_page(client, users):
    round_ = Round.objects.get(kind="application")
    create_draft(users, round_.pk, "applicant_csf_br1")
    client.force_login(users["cast_staff"])
    page = client.get(f"/manage/rounds/{round_.pk}/")
    form = page.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["notice_working_days"] = "8"
    asked = client.post(f"/manage/rounds/{round_.pk}/", data)
    assert asked.status_code == 409
    assert "请确认修改" in text(asked) and "申报 1 条（草稿 1）" in text(asked)
    round_.refresh_from_db()
    assert round_.notice_working_days == 5
    done = client.post(f"/manage/rounds/{round_.pk}/", {**data, "confirm": "yes"})
    assert done.status_code == 302
    round_.refresh_from_db()
    assert round_.notice_working_days == 8
    changed = AuditEvent.objects.filter(record_type="workflows.round", record_id=round_.pk, action="changed").get()
    assert changed.data["changes"] == {"notice_working_days": {"before": 5, "after": 8}}


def test_sub_projects_are_edited_on_their_page(client, users):
    round_ = Round.objects.get(kind="application")
    client.force_login(users["cast_staff"])
    response = client.post(
        f"/manage/rounds/{round_.pk}/subprojects/new/",
        {
            "code": "rural_tour",
            "name": "百会百县乡村行",
            "eligible_org_types": ["national_society"],
            "per_unit_limit": "1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#subprojects")
    sub = round_.subprojects.get(code="rural_tour")
    assert (sub.name, sub.eligible_org_types, sub.quota) == ("百会百县乡村行", ["national_society"], None)
    bad = client.post(
        f"/manage/rounds/{round_.pk}/subprojects/{sub.pk}/", {"code": "", "name": "", "per_unit_limit": "0"}
    )
    assert bad.status_code == 400 and "“每单位限报数”至少为 1" in text(bad)
    gone = client.post(f"/manage/rounds/{round_.pk}/subprojects/{sub.pk}/delete/", {"reason": "重复设置"})
    assert gone.status_code == 302 and not round_.subprojects.filter(code="rural_tour").exists()


def test_the_round_page_tells_each_applicant_what_their_unit_may_apply_for(client, users):
    round_ = Round.objects.get(kind="application")
    round_.contacts = [{"name": "王芳", "purpose": "业务咨询", "phone": "010-68571898", "email": "zhihui@cast.org.cn"}]
    round_.save()
    anonymous = client.get(f"/rounds/{round_.pk}/")
    assert anonymous.status_code == 200 and "业务咨询：王芳" in text(anonymous)
    client.force_login(users["applicant_xuwen"])
    page = text(client.get(f"/rounds/{round_.pk}/"))
    assert "徐闻县科协可申报的子项目" in page
    assert "助力新时代文明实践中心建设 ： 可申报" in page or "助力新时代文明实践中心建设：可申报" in page.replace(
        " ", ""
    )
    assert "本单位类型（县级科协）不能申报“整合资源创新推进科技志愿服务”" in page
    # The application form offers only what the unit may apply for, and says why not the rest.
    form = client.get("/applications/new/")
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', form.content.decode())
    assert [label.split(" · ")[-1] for _value, label in options] == ["助力新时代文明实践中心建设"]
    assert "本单位不能申报以下子项目" in text(form)


def test_a_recommending_unit_sets_its_internal_deadline_on_the_page(client, users):
    round_ = Round.objects.get(kind="application")
    client.force_login(users["applicant_csf_br1"])
    assert client.get(f"/manage/rounds/{round_.pk}/deadline/").status_code == 404
    client.force_login(users["reviewer_csf"])
    page = client.get(f"/rounds/{round_.pk}/")
    assert "设置本单位的内部申报截止时间" in text(page)
    late = timezone.localtime(round_.submission_closes + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(f"/manage/rounds/{round_.pk}/deadline/", {"closes_at": late})
    assert refused.status_code == 400 and "内部申报截止不得晚于本批次申报截止" in text(refused)
    saved = client.post(f"/manage/rounds/{round_.pk}/deadline/", {"closes_at": local(2)})
    assert saved.status_code == 302
    assert UnitDeadline.objects.get(round=round_).unit.code == "CSF"
    client.force_login(users["applicant_csf_br1"])
    assert "推荐单位中国水产学会要求于" in text(client.get(f"/rounds/{round_.pk}/")).replace(" ", "")

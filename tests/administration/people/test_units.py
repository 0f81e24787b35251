"""Units run from the site: CAST staff create, rename, move, flag and deactivate units and upload
the organizations file; a recommending unit's reviewer creates and renames the units below
theirs. Every change is audited on the unit's own chain; recommending units are recomputed."""

from __future__ import annotations

import io

import pytest

from accounts.models import Organization
from administration.people import services
from tests.administration.people.conftest import event_rows, page_errors
from workflows.exceptions import InvalidInput, TransitionForbidden
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW = "/manage/people/units/new/"


def unit_url(org: Organization, tail: str = "") -> str:
    return f"/manage/people/units/{org.pk}/{tail}"


def test_cast_staff_create_a_unit_anywhere_audited(as_user, users, orgs):
    response = as_user("cast_staff").post(
        NEW, {"parent": orgs["GD-XW-CAST"].pk, "code": "GD-XW-T1", "name": "徐闻县下桥镇科协", "type": "other"}
    )
    unit = Organization.objects.get(code="GD-XW-T1")
    assert response.status_code == 302 and response["Location"] == unit_url(unit)
    assert (unit.name, unit.type, unit.parent_id, unit.recommending_unit_id, unit.is_active) == (
        "徐闻县下桥镇科协",
        "other",
        orgs["GD-XW-CAST"].pk,
        orgs["GD-CAST"].pk,
        True,
    )
    fields = {
        "code": "GD-XW-T1",
        "name": "徐闻县下桥镇科协",
        "type": "other",
        "parent": orgs["GD-XW-CAST"].pk,
        "pilot_county": False,
        "legal_person": True,
        "recommending_unit": orgs["GD-CAST"].pk,
        "is_active": True,
    }
    assert event_rows(unit) == [
        ("created", "cast_staff", "", {"changes": {k: {"before": None, "after": v} for k, v in sorted(fields.items())}})
    ]
    event = AuditEvent.objects.get(record_type="accounts.organization", record_id=unit.pk)
    assert (event.actor_org, event.actor_role) == ("CAST", "cast_staff")


def test_a_reviewer_creates_units_below_theirs_only(as_user, users, orgs):
    reviewer = as_user("reviewer_csf")
    response = reviewer.post(
        NEW,
        {"parent": orgs["CSF-BR1"].pk, "code": "CSF-BR1-A", "name": "水产学会科普分会一组", "type": "society_branch"},
    )
    unit = Organization.objects.get(code="CSF-BR1-A")
    assert response.status_code == 302
    assert unit.recommending_unit_id == orgs["CSF"].pk
    assert event_rows(unit)[0][:2] == ("created", "reviewer_csf")
    assert AuditEvent.objects.get(record_id=unit.pk, record_type="accounts.organization").actor_org == "CSF"
    # Directly under their own unit too; not under another recommending unit, not of a
    # recommending type (it would leave their scope), never CAST.
    ok = reviewer.post(NEW, {"parent": orgs["CSF"].pk, "code": "CSF-BR9", "name": "第九分会", "type": "society_branch"})
    assert ok.status_code == 302
    refused = reviewer.post(
        NEW, {"parent": orgs["GD-CAST"].pk, "code": "GD-X", "name": "越权单位", "type": "national_society"}
    )
    assert refused.status_code == 400
    assert page_errors(refused) == [
        "请选择可用的“单位类型”",
        "“上级单位”不存在、已停用或不在您的管理范围内",
    ]
    assert not Organization.objects.filter(code="GD-X").exists()
    # The reviewer of another unit does not see CSF's units at all.
    assert as_user("reviewer_gd_cast").get(unit_url(unit)).status_code == 404


def test_the_unit_form_lists_every_problem_at_once(as_user, orgs):
    response = as_user("cast_staff").post(
        NEW, {"parent": "999999", "code": "CSF", "name": "", "type": "city_cast", "pilot_county": "on"}
    )
    assert response.status_code == 400
    assert page_errors(response) == [
        "单位代码“CSF”已被使用",
        "请填写“单位名称”",
        "“上级单位”不存在、已停用或不在您的管理范围内",
        "只有县级科协可以是试点县",
    ]
    second = as_user("cast_staff").post(NEW, {"code": "a b", "name": "x" * 201, "type": "cast"})
    assert page_errors(second) == [
        "“单位代码”只能由字母、数字和 - _ . 组成",
        "“单位名称”不得超过 200 个字符",
        "请选择可用的“单位类型”",
        "请选择“上级单位”",
    ]
    assert Organization.objects.count() == len(orgs)


@pytest.mark.parametrize(
    "who,listing,detail,new",
    [
        ("cast_staff", 200, 200, 200),
        ("auditor", 200, 200, 404),
        ("reviewer_csf", 200, 200, 200),
        ("reviewer_gd_cast", 200, 404, 200),
        ("applicant_csf_br1", 404, 404, 404),
        ("content_cast", 404, 404, 404),
        ("expert_1", 404, 404, 404),
        (None, 302, 302, 302),
    ],
)
def test_who_sees_the_unit_pages(as_user, orgs, who, listing, detail, new):
    client = as_user(who)
    assert client.get("/manage/people/units/").status_code == listing
    assert client.get(unit_url(orgs["CSF-BR1"])).status_code == detail
    assert client.get(NEW).status_code == new


def test_a_reviewer_sees_their_units_only(as_user, orgs):
    text = as_user("reviewer_csf").get("/manage/people/units/").content.decode()
    for code in ("CSF", "CSF-BR1", "GD-FISH"):
        assert f"<code>{code}</code>" in text
    for code in ("CAST", "GD-CAST", "GD-XW-CAST", "CAE"):
        assert f"<code>{code}</code>" not in text


def test_a_reviewer_renames_a_unit_below_theirs_but_not_their_own_nor_moves(as_user, orgs):
    reviewer = as_user("reviewer_csf")
    response = reviewer.post(unit_url(orgs["CSF-BR1"]), {"name": "中国水产学会科普工作委员会（新）", "reason": "更名"})
    assert response.status_code == 302
    branch = Organization.objects.get(code="CSF-BR1")
    assert branch.name == "中国水产学会科普工作委员会（新）"
    assert event_rows(branch) == [
        (
            "changed",
            "reviewer_csf",
            "更名",
            {
                "changes": {
                    "name": {"before": "中国水产学会科普工作委员会", "after": "中国水产学会科普工作委员会（新）"}
                }
            },
        )
    ]
    # Their own unit is CAST's (a unit under CAST): refused, nothing changed.
    own = reviewer.post(unit_url(orgs["CSF"]), {"name": "改名"})
    assert own.status_code == 403 and page_errors(own) == ["您没有修改该单位的权限"]
    # A parent sent by a reviewer is not read (their form has no such field) — the service refuses it.
    with pytest.raises(TransitionForbidden) as refused:
        services.unit_change(actor=reviewer_user(orgs), unit=branch, data={"parent": orgs["CAE"].pk})
    assert refused.value.errors == ["只有中国科协工作人员可以调整上级单位、试点县、法人或推荐渠道"]
    assert Organization.objects.get(code="CSF").name == orgs["CSF"].name
    assert Organization.objects.get(code="CSF-BR1").parent_id == orgs["CSF"].pk


def reviewer_user(orgs):
    from accounts.models import User

    return User.objects.get(username="reviewer_csf")


def test_moving_a_unit_recomputes_the_recommending_units_of_its_subtree(as_user, orgs):
    city = orgs["GD-ZJ-CAST"]
    response = as_user("cast_staff").post(
        unit_url(city), {"name": city.name, "parent": orgs["CSF"].pk, "reason": "调整隶属关系"}
    )
    assert response.status_code == 302
    moved = {
        o.code: o.recommending_unit.code for o in Organization.objects.filter(code__in=["GD-ZJ-CAST", "GD-XW-CAST"])
    }
    assert moved == {"GD-ZJ-CAST": "CSF", "GD-XW-CAST": "CSF"}
    assert event_rows(Organization.objects.get(code="GD-ZJ-CAST")) == [
        (
            "changed",
            "cast_staff",
            "调整隶属关系",
            {
                "changes": {
                    "parent": {"before": orgs["GD-CAST"].pk, "after": orgs["CSF"].pk},
                    "recommending_unit": {"before": orgs["GD-CAST"].pk, "after": orgs["CSF"].pk},
                }
            },
        )
    ]
    assert event_rows(orgs["GD-XW-CAST"]) == [
        (
            "changed",
            "cast_staff",
            "调整隶属关系",
            {
                "changes": {"recommending_unit": {"before": orgs["GD-CAST"].pk, "after": orgs["CSF"].pk}},
                "moved_with": city.pk,
            },
        )
    ]
    # Units elsewhere are untouched and have no event.
    assert event_rows(orgs["GD-CAST"]) == []


def test_a_move_under_itself_or_of_cast_is_refused(as_user, orgs):
    staff = as_user("cast_staff")
    cycle = staff.post(unit_url(orgs["GD-CAST"]), {"name": orgs["GD-CAST"].name, "parent": orgs["GD-XW-CAST"].pk})
    assert cycle.status_code == 400
    assert page_errors(cycle) == ["不能把单位移到它自己或它的下级单位之下"]
    with pytest.raises(InvalidInput) as root:
        services.unit_change(
            actor=staff_user(), unit=orgs["CAST"], data={"parent": orgs["CSF"].pk, "pilot_county": True}
        )
    assert root.value.errors == ["中国科协是根组织，不能有上级", "只有县级科协可以是试点县"]
    assert not AuditEvent.objects.filter(record_type="accounts.organization").exists()


def staff_user():
    from accounts.models import User

    return User.objects.get(username="cast_staff")


def test_cast_staff_flag_a_pilot_county(as_user, orgs):
    county = orgs["GD-XW-CAST"]
    response = as_user("cast_staff").post(unit_url(county), {"name": county.name, "parent": county.parent_id})
    assert response.status_code == 302
    assert Organization.objects.get(pk=county.pk).pilot_county is False
    assert event_rows(county) == [
        ("changed", "cast_staff", "", {"changes": {"pilot_county": {"before": True, "after": False}}})
    ]
    nothing = as_user("cast_staff").post(
        unit_url(county), {"name": county.name, "parent": county.parent_id, "pilot_county": ""}
    )
    assert nothing.status_code == 400 and page_errors(nothing) == ["没有需要保存的修改"]


def test_deactivating_a_unit_keeps_it_and_its_history(as_user, orgs):
    staff = as_user("cast_staff")
    staff.post(NEW, {"parent": orgs["CSF-BR1"].pk, "code": "CSF-BR1-X", "name": "临时小组", "type": "other"})
    leaf = Organization.objects.get(code="CSF-BR1-X")
    missing = staff.post(unit_url(leaf, "deactivate/"), {"reason": ""})
    assert missing.status_code == 400 and page_errors(missing) == ["请填写“理由”"]
    # A unit with active units under it or members is refused, every reason listed.
    busy = staff.post(unit_url(orgs["CSF-BR1"], "deactivate/"), {"reason": "撤销"})
    assert busy.status_code == 400
    assert page_errors(busy) == ["该单位下还有 1 个在用单位：临时小组", "该单位还有 1 个成员角色，请先撤销"]
    root = staff.post(unit_url(orgs["CAST"], "deactivate/"), {"reason": "撤销"})
    assert page_errors(root) == [
        "中国科协是根组织，不能停用",
        "该单位下还有 5 个在用单位：中国农学会、中国水产学会、广东省科协、深圳市科协、新疆生产建设兵团科协",
        "该单位还有 8 个成员角色，请先撤销",
    ]

    assert staff.post(unit_url(leaf, "deactivate/"), {"reason": "小组已撤销"}).status_code == 302
    leaf.refresh_from_db()
    assert leaf.is_active is False
    # No longer offered as a parent; shown, still, with its history.
    assert f'value="{leaf.pk}"' not in staff.get(NEW).content.decode()
    again = staff.post(unit_url(leaf, "deactivate/"), {"reason": "再次"})
    assert again.status_code == 409 and page_errors(again) == ["该单位已停用"]
    renamed = staff.post(unit_url(leaf), {"name": "改名"})
    assert renamed.status_code == 409 and page_errors(renamed) == ["单位已停用，请先恢复"]

    assert staff.post(unit_url(leaf, "reactivate/"), {"reason": "恢复工作"}).status_code == 302
    leaf.refresh_from_db()
    assert leaf.is_active is True
    assert [(a, who, why) for a, who, why, _data in event_rows(leaf)] == [
        ("created", "cast_staff", ""),
        ("deactivated", "cast_staff", "小组已撤销"),
        ("reactivated", "cast_staff", "恢复工作"),
    ]
    assert event_rows(leaf)[1][3] == {"changes": {"is_active": {"before": True, "after": False}}}


def test_only_cast_staff_deactivate_units(as_user, orgs):
    staff = as_user("cast_staff")
    staff.post(NEW, {"parent": orgs["CSF-BR1"].pk, "code": "CSF-BR1-Y", "name": "小组乙", "type": "other"})
    leaf = Organization.objects.get(code="CSF-BR1-Y")
    for who, status in (("reviewer_csf", 403), ("auditor", 403), ("reviewer_gd_cast", 404), ("applicant_csf_br1", 404)):
        assert as_user(who).post(unit_url(leaf, "deactivate/"), {"reason": "越权"}).status_code == status, who
    assert Organization.objects.get(pk=leaf.pk).is_active
    assert [e[0] for e in event_rows(leaf)] == ["created"]


def test_reactivating_needs_an_active_parent(as_user, orgs):
    staff = as_user("cast_staff")
    staff.post(NEW, {"parent": orgs["CSF-BR1"].pk, "code": "P1", "name": "上级", "type": "other"})
    parent = Organization.objects.get(code="P1")
    staff.post(NEW, {"parent": parent.pk, "code": "P1-C", "name": "下级", "type": "other"})
    child = Organization.objects.get(code="P1-C")
    assert staff.post(unit_url(child, "deactivate/"), {"reason": "停"}).status_code == 302
    assert staff.post(unit_url(parent, "deactivate/"), {"reason": "停"}).status_code == 302
    refused = staff.post(unit_url(child, "reactivate/"), {"reason": "恢复"})
    assert refused.status_code == 400 and page_errors(refused) == ["上级单位“上级”已停用，请先恢复上级单位"]


def upload(name: str, text: str) -> io.BytesIO:
    f = io.BytesIO(text.encode())
    f.name = name
    return f


def test_cast_staff_upload_the_organizations_file(as_user, orgs):
    csv = (
        "code,name,type,parent,pilot_county\n"
        "GD-GZ-CAST,广州市科协,city_cast,GD-CAST,false\n"
        "GD-CH-CAST,从化区科协,county_cast,GD-GZ-CAST,true\n"
        "CSF-BR1,中国水产学会科普工作委员会,society_branch,CSF,false\n"
    )
    staff = as_user("cast_staff")
    response = staff.post("/manage/people/units/import/", {"file": upload("orgs.csv", csv)})
    assert response.status_code == 302 and response["Location"] == "/manage/people/units/"
    county = Organization.objects.get(code="GD-CH-CAST")
    assert (county.parent.code, county.recommending_unit.code, county.pilot_county) == ("GD-GZ-CAST", "GD-CAST", True)
    rows = event_rows(county)
    assert [(a, who) for a, who, _r, _d in rows] == [("imported", "cast_staff")]
    assert rows[0][3]["file"] == "orgs.csv"
    assert rows[0][3]["changes"]["code"] == {"before": None, "after": "GD-CH-CAST"}
    # The unchanged row has no event.
    assert event_rows(orgs["CSF-BR1"]) == []
    follow = staff.get("/manage/people/units/")
    assert "导入完成：新建 2 个单位，更新 1 个，其中 2 个有变化" in follow.content.decode()


def test_an_organizations_file_with_errors_writes_nothing(as_user, orgs):
    csv = "code,name,type,parent,pilot_county\nX1,,city_cast,NOPE,false\nX2,县,county_cast,X1,maybe\n"
    response = as_user("cast_staff").post("/manage/people/units/import/", {"file": upload("orgs.csv", csv)})
    assert response.status_code == 400
    assert page_errors(response) == [
        "第 2 行，字段 name：不能为空",
        "第 3 行，字段 pilot_county：“maybe”不是是/否",
        "第 2 行，字段 parent：上级组织“NOPE”不存在",
    ]
    bad = as_user("cast_staff").post("/manage/people/units/import/", {"file": upload("orgs.xlsx", "x")})
    assert page_errors(bad) == ["文件“orgs.xlsx”不是 CSV 或 JSON 文件"]
    none = as_user("cast_staff").post("/manage/people/units/import/", {})
    assert page_errors(none) == ["请选择要上传的组织文件（CSV 或 JSON）"]
    assert Organization.objects.count() == len(orgs)
    assert not AuditEvent.objects.filter(record_type="accounts.organization").exists()


def test_only_cast_staff_upload(as_user, orgs):
    csv = "code,name,type,parent\nZZ,某单位,other,CSF\n"
    for who in ("reviewer_csf", "auditor", "applicant_csf_br1"):
        assert as_user(who).post("/manage/people/units/import/", {"file": upload("o.csv", csv)}).status_code == 404
    with pytest.raises(TransitionForbidden):
        services.units_import(actor=reviewer_user(orgs), upload=upload("o.csv", csv))
    assert not Organization.objects.filter(code="ZZ").exists()

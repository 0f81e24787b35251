"""Channels and legal persons of organizations: who recommends a unit's records (its channel),
who is named 承担单位 (its nearest legal person), set on import and by CAST staff (audited)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import RECOMMENDING_TYPES, Organization, OrgType
from accounts.services import recompute_recommending_units
from tests.administration.people.conftest import client_as, event_rows
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

UNITS = "/api/v1/people/units/"
REFUSED = "导入失败，未写入任何数据（import refused, nothing written）：\n"


def recommending(code: str) -> str | None:
    org = Organization.objects.select_related("recommending_unit").get(code=code)
    return org.recommending_unit.code if org.recommending_unit else None


def load(tmp_path: Path, content: str) -> str:
    path = tmp_path / "orgs.csv"
    path.write_text(content, encoding="utf-8")
    out = io.StringIO()
    call_command("load_organizations", str(path), stdout=out)
    return out.getvalue()


# -- the demo tree ---------------------------------------------------------------------------------


def test_the_demo_tree_routes_every_channel(orgs):
    assert {code: recommending(code) for code in orgs} == {
        "CAST": None,
        "CSF": "CSF",
        "CAE": "CAE",
        "GD-CAST": "GD-CAST",
        # a branch → its society
        "CSF-BR1": "CSF",
        # a provincial society under its national society → its provincial CAST (by its province)
        "GD-AGRI": "GD-CAST",
        # … unless CAST staff set its channel (the demo keeps GD-FISH with CSF)
        "GD-FISH": "CSF",
        "GD-ZJ-CAST": "GD-CAST",
        "GD-XW-CAST": "GD-CAST",
        # directly to CAST: their own recommending unit
        "SZ-CAST": "SZ-CAST",
        "XJBT-CAST": "XJBT-CAST",
    }
    assert {OrgType.SUBPROVINCIAL_CITY_CAST, OrgType.CORPS_CAST} <= RECOMMENDING_TYPES


def test_legal_persons_and_the_legal_entity(orgs):
    assert {code: org.legal_person for code, org in orgs.items()} == {code: code != "CSF-BR1" for code in orgs}
    assert orgs["CSF-BR1"].legal_entity() == orgs["CSF"]
    assert orgs["CSF-BR1"].implementing_department() == orgs["CSF-BR1"]
    assert orgs["CSF"].legal_entity() == orgs["CSF"]
    assert orgs["CSF"].implementing_department() is None
    # a branch of a branch: the nearest legal person up the tree
    sub = Organization.objects.create(
        code="CSF-BR1-A", name="科普工作委员会青年组", type=OrgType.SOCIETY_BRANCH, parent=orgs["CSF-BR1"]
    )
    assert sub.legal_person is False
    assert sub.legal_entity() == orgs["CSF"]
    # a provincial society's branch goes through the society's channel
    branch = Organization.objects.create(
        code="GD-AGRI-BR", name="广东省农学会科普部", type=OrgType.SOCIETY_BRANCH, parent=orgs["GD-AGRI"]
    )
    recompute_recommending_units()
    assert (recommending("GD-AGRI-BR"), branch.legal_entity().code) == ("GD-CAST", "GD-AGRI")


def test_a_provincial_society_under_its_provincial_cast_and_one_no_province_names(orgs):
    under = Organization.objects.create(
        code="GD-BIO", name="岭南生物学会", type=OrgType.PROVINCIAL_SOCIETY, parent=orgs["GD-CAST"]
    )
    nowhere = Organization.objects.create(
        code="XX-FISH", name="某某水产学会", type=OrgType.PROVINCIAL_SOCIETY, parent=orgs["CSF"]
    )
    moved = recompute_recommending_units()
    assert sorted(moved) == sorted([under.pk, nowhere.pk])
    # under a provincial CAST: that one; no provincial CAST named like it: the tree's (CAST staff
    # then set its channel)
    assert (recommending("GD-BIO"), recommending("XX-FISH")) == ("GD-CAST", "CSF")


# -- load_organizations ----------------------------------------------------------------------------


def test_import_sets_channels_and_legal_persons(orgs, tmp_path):
    output = load(
        tmp_path,
        "code,name,type,parent,pilot_county,legal_person,channel\n"
        "GD-AGRI,广东省农学会,provincial_society,CAE,,,CAE\n"
        "CSF-BR1,中国水产学会科普工作委员会,society_branch,CSF,,是,\n"
        "SZ-NEW,深圳市某学会,provincial_society,SZ-CAST,,,SZ-CAST\n"
        "NB-CAST,宁波市科协,subprovincial_city_cast,CAST,,,\n"
        "BR-NEW,中国农学会新分会,society_branch,CAE,,,\n",
    )
    assert output == "组织导入完成：新建 3 个，更新 2 个（created 3, updated 2）\n"
    rows = {
        o.code: (o.legal_person, o.channel.code if o.channel else None, o.recommending_unit.code)
        for o in Organization.objects.filter(
            code__in=["GD-AGRI", "CSF-BR1", "SZ-NEW", "NB-CAST", "BR-NEW"]
        ).select_related("channel", "recommending_unit")
    }
    assert rows == {
        "GD-AGRI": (True, "CAE", "CAE"),
        "CSF-BR1": (True, None, "CSF"),
        "SZ-NEW": (True, "SZ-CAST", "SZ-CAST"),
        "NB-CAST": (True, None, "NB-CAST"),
        "BR-NEW": (False, None, "CAE"),
    }
    # a file without the columns keeps what was set
    load(tmp_path, "code,name,type,parent\nGD-AGRI,广东省农学会,provincial_society,CAE\n")
    assert Organization.objects.get(code="GD-AGRI").channel == orgs["CAE"]
    # an empty channel goes back to the default
    load(tmp_path, "code,name,type,parent,channel\nGD-AGRI,广东省农学会,provincial_society,CAE,\n")
    assert (Organization.objects.get(code="GD-AGRI").channel, recommending("GD-AGRI")) == (None, "GD-CAST")


def test_import_refuses_bad_channels_every_problem_listed(orgs, tmp_path):
    before = list(Organization.objects.order_by("code").values_list("code", "channel_id", "legal_person"))
    with pytest.raises(CommandError) as refused:
        load(
            tmp_path,
            "code,name,type,parent,pilot_county,legal_person,channel\n"
            "GD-AGRI,广东省农学会,provincial_society,CAE,,,NOPE\n"
            "CSF-BR1,中国水产学会科普工作委员会,society_branch,CSF,,也许,GD-ZJ-CAST\n"
            "CSF,中国水产学会,national_society,CAST,,,GD-CAST\n"
            "GD-FISH,广东省水产学会,provincial_society,CSF,,,GD-FISH\n",
        )
    assert str(refused.value) == REFUSED + "\n".join(
        [
            "第 3 行，字段 legal_person：“也许”不是是/否",
            "第 2 行，字段 channel：推荐渠道“NOPE”不存在",
            "第 3 行，字段 channel：推荐渠道“GD-ZJ-CAST”不是推荐单位（全国学会、省级科协、副省级城市科协或兵团科协）",
            "第 4 行，字段 channel：推荐单位本身直接报送中国科协，不设推荐渠道",
            "第 5 行，字段 channel：单位不能以自己为推荐渠道",
        ]
    )
    assert list(Organization.objects.order_by("code").values_list("code", "channel_id", "legal_person")) == before


# -- CAST staff set them (API), audited ------------------------------------------------------------


def test_cast_staff_set_the_channel_and_legal_person_audited(users, orgs):
    staff = api_as(users["cast_staff"])
    branch = Organization.objects.create(
        code="GD-AGRI-BR", name="广东省农学会科普部", type=OrgType.SOCIETY_BRANCH, parent=orgs["GD-AGRI"]
    )
    recompute_recommending_units()
    unit = orgs["GD-AGRI"]

    changed = staff.patch(
        f"{UNITS}{unit.pk}/", {"channel": orgs["CAE"].pk, "reason": "经业务主管单位同意"}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert (body["channel"], body["channel_code"], body["recommending_unit_code"], body["legal_entity_code"]) == (
        orgs["CAE"].pk,
        "CAE",
        "CAE",
        "GD-AGRI",
    )
    # its branch moves with it, and says so on its own chain
    assert recommending("GD-AGRI-BR") == "CAE"
    assert event_rows(unit)[-1] == (
        "changed",
        "cast_staff",
        "经业务主管单位同意",
        {
            "changes": {
                "channel": {"before": None, "after": orgs["CAE"].pk},
                "recommending_unit": {"before": orgs["GD-CAST"].pk, "after": orgs["CAE"].pk},
            }
        },
    )
    assert event_rows(branch)[-1] == (
        "changed",
        "cast_staff",
        "经业务主管单位同意",
        {
            "changes": {"recommending_unit": {"before": orgs["GD-CAST"].pk, "after": orgs["CAE"].pk}},
            "moved_with": unit.pk,
        },
    )

    back = staff.patch(f"{UNITS}{unit.pk}/", {"channel": None}, format="json")
    assert (back.status_code, back.json()["recommending_unit_code"]) == (200, "GD-CAST")

    legal = staff.patch(f"{UNITS}{branch.pk}/", {"legal_person": True}, format="json")
    assert (legal.status_code, legal.json()["legal_person"], legal.json()["legal_entity_code"]) == (
        200,
        True,
        "GD-AGRI-BR",
    )
    assert event_rows(branch)[-1] == (
        "changed",
        "cast_staff",
        "",
        {"changes": {"legal_person": {"before": False, "after": True}}},
    )


def test_bad_channels_are_refused_every_problem_listed(users, orgs):
    staff = api_as(users["cast_staff"])
    not_a_recommender = staff.patch(
        f"{UNITS}{orgs['GD-AGRI'].pk}/", {"channel": orgs["GD-ZJ-CAST"].pk, "legal_person": "也许"}, format="json"
    )
    assert (not_a_recommender.status_code, not_a_recommender.json()["errors"]) == (
        400,
        [
            "“独立法人”必须是是/否",
            "“推荐渠道”须是在用的推荐单位（全国学会、省级科协、副省级城市科协或兵团科协）",
        ],
    )
    own = staff.patch(f"{UNITS}{orgs['CSF'].pk}/", {"channel": orgs["GD-CAST"].pk}, format="json")
    assert (own.status_code, own.json()["errors"]) == (400, ["推荐单位本身直接报送中国科协，不设推荐渠道"])
    assert Organization.objects.filter(channel__isnull=False).values_list("code", flat=True).get() == "GD-FISH"


def test_only_cast_staff_set_channels(users, orgs):
    # CSF's reviewer may rename its branch, not route it elsewhere nor make it a legal person
    reviewer = api_as(users["reviewer_csf"])
    for body in ({"channel": orgs["CAE"].pk}, {"legal_person": True}):
        refused = reviewer.patch(f"{UNITS}{orgs['CSF-BR1'].pk}/", body, format="json")
        assert (refused.status_code, refused.json()["detail"]) == (
            403,
            "只有中国科协工作人员可以调整上级单位、试点县、法人或推荐渠道",
        )
    applicant = api_as(users["applicant_gd_agri"])
    assert applicant.patch(f"{UNITS}{orgs['GD-AGRI'].pk}/", {"channel": orgs["CAE"].pk}, format="json").status_code in (
        403,
        404,
    )
    assert Organization.objects.get(code="CSF-BR1").legal_person is False
    assert recommending("CSF-BR1") == "CSF" and recommending("GD-AGRI") == "GD-CAST"


def test_the_unit_page_sets_them(users, orgs):
    staff = client_as(users["cast_staff"])
    page = staff.get(f"/manage/people/units/{orgs['CSF-BR1'].pk}/").content.decode()
    assert "承担单位（文书所列）" in page and "中国水产学会" in page
    assert 'name="channel"' in page and 'name="legal_person"' in page

    response = staff.post(
        f"/manage/people/units/{orgs['GD-AGRI'].pk}/",
        {"name": "广东省农学会", "parent": str(orgs["CAE"].pk), "legal_person_shown": "1", "legal_person": "on",
         "channel": str(orgs["CAE"].pk), "reason": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert recommending("GD-AGRI") == "CAE"
    # the box unticked on the form that shows it: no longer a legal person
    staff.post(
        f"/manage/people/units/{orgs['GD-AGRI'].pk}/",
        {"name": "广东省农学会", "parent": str(orgs["CAE"].pk), "legal_person_shown": "1", "channel": ""},
    )
    unit = Organization.objects.get(code="GD-AGRI")
    assert (unit.legal_person, unit.channel, recommending("GD-AGRI")) == (False, None, "GD-CAST")

"""Each sub-project's own section (declared per sub-project type, applications.sections), the
common section, the schedule and the 绩效目标表: required at submission with every missing item
named, typed when saved, shown on the pages and printed on the 申报书 PDF; the pilot flag the
applicant unit's, not the applicant's say."""

from __future__ import annotations

import pytest

from accounts.models import Organization
from applications.models import Application, SubprojectType
from tests.applications.builders import create_draft, make_gd_cast_applicant, ok
from tests.applications.helpers import COMMON, PERFORMANCE, SECTIONS, act, form
from tests.conftest import api_as
from tests.documents.helpers import pdf_text, squash
from workflows.models import AuditEvent, Round

URL = "/api/v1/applications/"

# Each applicant and its sub-project's own fields' missing-item messages, in declared order.
MISSING = {
    "applicant_csf_br1": (
        "grassroots",
        [
            "请填写“学会科技志愿服务基层行 · 服务的老少边贫地区”",
            "请填写“学会科技志愿服务基层行 · 参加服务的学会会员人数”",
            "请填写“学会科技志愿服务基层行 · 学会会员志愿服务队伍情况”",
        ],
    ),
    "applicant_xuwen": (
        "civilization_centre",
        [
            "请填写“助力新时代文明实践中心建设 · 所属县级志愿服务总队下的科技志愿服务队伍”",
            "请填写“助力新时代文明实践中心建设 · 担任队长的“三长”：学校校长”",
            "请填写“助力新时代文明实践中心建设 · 担任队长的“三长”：医院院长”",
            "请填写“助力新时代文明实践中心建设 · 担任队长的“三长”：农技站站长”",
            "请填写“助力新时代文明实践中心建设 · 服务的新时代文明实践中心（所、站）”",
        ],
    ),
    "applicant_gd_cast": (
        "integrate",
        [
            "请填写“整合资源创新推进科技志愿服务 · 省级科技志愿服务总队”",
            "请填写“整合资源创新推进科技志愿服务 · 建立的市、县级科技志愿服务队伍”",
            "请填写“整合资源创新推进科技志愿服务 · 市、县级队伍数量”",
            "请填写“整合资源创新推进科技志愿服务 · 整合的资源”",
        ],
    ),
}
COMMON_MISSING = [
    "请填写“共同信息 · 科技志愿服务信息平台组织编号”",
    "请填写“共同信息 · 信息平台注册志愿者人数”",
    "请填写“共同信息 · 活动安全预案”",
    "请确认“已为科技志愿者购买保险”",
    "请填写“共同信息 · 保险情况说明（险种、人数、保额）”",
]


@pytest.fixture
def round_id(users) -> int:
    return Round.objects.get(kind="application").pk


def refused(response) -> list[str]:
    assert response.status_code == 400, (response.status_code, response.json())
    return response.json()["errors"]


SUBMIT = {"applicant_gd_cast": ("submit_to_cast", "recommended")}


def state_of(app_id: int) -> str:
    return Application.objects.get(pk=app_id).state


@pytest.mark.parametrize("applicant", list(MISSING))
def test_each_own_field_is_required_at_submit_and_named(users, round_id, applicant):
    if applicant == "applicant_gd_cast":
        make_gd_cast_applicant(users)
    code, missing = MISSING[applicant]
    # A provincial CAST is its own recommending unit: it submits straight to CAST.
    submit, submitted = SUBMIT.get(applicant, ("submit", "submitted"))
    app_id = create_draft(users, round_id, applicant, section={})
    assert refused(act(users, applicant, app_id, submit)) == missing
    assert state_of(app_id) == "draft"
    # The transitions list says the same before the applicant tries.
    options = api_as(users[applicant]).get(f"{URL}{app_id}/transitions/").json()
    assert next(t for t in options if t["name"] == submit)["blocked_reasons"] == missing
    # Filled in, it is submitted.
    ok(api_as(users[applicant]).patch(f"{URL}{app_id}/", {"section": SECTIONS[code]}, format="json"))
    assert ok(act(users, applicant, app_id, submit))["state"] == submitted
    body = ok(api_as(users[applicant]).get(f"{URL}{app_id}/"))
    assert (body["section_kind"], body["section"]) == (code, SECTIONS[code])


@pytest.mark.parametrize("missing_key", sorted(SECTIONS["civilization_centre"]))
def test_each_missing_field_alone_is_named(users, round_id, missing_key):
    section = {k: v for k, v in SECTIONS["civilization_centre"].items() if k != missing_key}
    app_id = create_draft(users, round_id, "applicant_xuwen", section=section)
    position = list(SECTIONS["civilization_centre"]).index(missing_key)
    assert refused(act(users, "applicant_xuwen", app_id, "submit")) == [MISSING["applicant_xuwen"][1][position]]


def test_other_resource_alone_fills_the_resources(users, round_id):
    make_gd_cast_applicant(users)
    section = {**SECTIONS["integrate"], "resources": [], "resources_other": "高校实验室"}
    app_id = create_draft(users, round_id, "applicant_gd_cast", section=section)
    assert ok(act(users, "applicant_gd_cast", app_id, "submit_to_cast"))["state"] == "recommended"


def test_section_values_are_typed_and_unknown_keys_named(users, round_id):
    client = api_as(users["applicant_csf_br1"])
    before = Application.objects.count()
    bad = {
        "target_areas": ["边远贫困地区", "北京市区"],
        "members_count": "二十",
        "members_description": 42,
        "leader_principal": "不属于本子项目",
    }
    data = form(round=round_id, subproject="grassroots", section=bad)
    assert refused(client.post(URL, data, format="json")) == [
        "“学会科技志愿服务基层行”中未知的字段：leader_principal",
        "“服务的老少边贫地区”只能从以下选项中选择：边远贫困地区、边疆民族地区、革命老区",
        "“参加服务的学会会员人数”必须是非负整数",
        "“学会会员志愿服务队伍情况”必须是文本",
    ]
    assert Application.objects.count() == before
    assert refused(client.post(URL, form(round=round_id, subproject="grassroots", section=["x"]), format="json")) == [
        "“子项目专门内容”必须是对象（字段名: 值）"
    ]


def test_common_section_required_and_typed(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1", common={}, schedule=[])
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [
        *COMMON_MISSING,
        "请填写实施进度安排（至少一行）",
    ]
    client = api_as(users["applicant_csf_br1"])
    bad = {"platform_volunteers": -3, "insurance": "maybe", "matching_funds": "两万", "local_funds": "1.234", "x": 1}
    assert refused(client.patch(f"{URL}{app_id}/", {"common": bad}, format="json")) == [
        "“共同信息”中未知的字段：x",
        "“信息平台注册志愿者人数”必须是非负整数",
        "“已为科技志愿者购买保险”必须是是/否",
        "配套资金（元）必须是金额数字（如 50000.00）",
        "地方财政资金（元）最多保留两位小数（单位：元）",
    ]
    # Insurance said "no" is not insurance: the applicant must confirm it.
    no_insurance = {**COMMON, "insurance": False}
    schedule = [{"when": "全国科普日（9月）", "activity": "科普展"}]
    ok(client.patch(f"{URL}{app_id}/", {"common": no_insurance, "schedule": schedule}, format="json"))
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == ["请确认“已为科技志愿者购买保险”"]
    ok(client.patch(f"{URL}{app_id}/", {"common": COMMON}, format="json"))
    assert ok(act(users, "applicant_csf_br1", app_id, "submit"))["state"] == "submitted"
    body = ok(client.get(f"{URL}{app_id}/"))
    assert body["common"] == {**COMMON, "platform_volunteers": 86}
    assert body["schedule"] == schedule


def test_schedule_rows_are_checked(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    client = api_as(users["applicant_csf_br1"])
    rows = [{"when": "", "activity": "培训"}, {"when": "3月", "activity": "x" * 301, "who": "李明"}]
    assert refused(client.patch(f"{URL}{app_id}/", {"schedule": rows}, format="json")) == [
        "实施进度安排第 1 行：请填写时间",
        "实施进度安排第 2 行：未知的字段 who",
        "实施进度安排第 2 行：activity 不得超过 300 个字符",
    ]


# -- the 绩效目标表 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ({"quantity"}, "绩效目标表：请至少填写一项产出指标中的数量指标"),
        ({"quality", "timeliness"}, "绩效目标表：请至少填写一项产出指标中的质量指标或时效指标"),
        ({"social"}, "绩效目标表：请至少填写一项效益指标"),
        ({"served"}, "绩效目标表：请至少填写一项满意度指标"),
    ],
)
def test_performance_table_needs_each_kind_of_indicator(users, round_id, drop, message):
    rows = [r for r in PERFORMANCE if r["level2"] not in drop]
    app_id = create_draft(users, round_id, "applicant_csf_br1", performance=rows)
    assert refused(act(users, "applicant_csf_br1", app_id, "submit")) == [message]


def test_quality_or_timeliness_either_will_do(users, round_id):
    rows = [r for r in PERFORMANCE if r["level2"] != "quality"]
    app_id = create_draft(users, round_id, "applicant_csf_br1", performance=rows)
    assert ok(act(users, "applicant_csf_br1", app_id, "submit"))["state"] == "submitted"


def test_performance_rows_are_checked_when_saved(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    client = api_as(users["applicant_csf_br1"])
    rows = [
        {"level1": "effect", "level2": "quantity", "name": "培训人次", "value": "600"},
        {"level2": "happiness", "name": "幸福感", "value": "高"},
        {"level2": "served", "name": "满意度", "value": ""},
        {"level2": "social", "name": "", "value": "明显", "note": "x"},
        "row",
    ]
    assert refused(client.patch(f"{URL}{app_id}/", {"performance": rows}, format="json")) == [
        "绩效目标表第 1 行：二级指标“数量指标”不属于一级指标“effect”",
        "绩效目标表第 2 行：二级指标必须是 quantity, quality, timeliness, cost, social, economic, ecological, "
        "sustainable, served 之一",
        "绩效目标表第 3 行：请填写指标值",
        "绩效目标表第 4 行：未知的字段 note",
        "绩效目标表第 4 行：请填写指标名称",
        "绩效目标表第 5 行格式不正确",
    ]
    # The 一级指标 follows from the 二级 when left out.
    served = [{"level2": "served", "name": "满意度", "value": "≥90%"}]
    ok(client.patch(f"{URL}{app_id}/", {"performance": served}, format="json"))
    assert Application.objects.get(pk=app_id).performance == [
        {"level1": "satisfaction", "level2": "served", "name": "满意度", "value": "≥90%"}
    ]


def test_old_free_text_targets_are_kept_and_no_longer_written(users, round_id):
    app_id = create_draft(users, round_id, "applicant_csf_br1")
    Application.objects.filter(pk=app_id).update(targets="培训养殖户 600 人次（旧版文字目标）")
    client = api_as(users["applicant_csf_br1"])
    assert refused(client.patch(f"{URL}{app_id}/", {"targets": "新"}, format="json")) == ["未知的字段：targets"]
    assert ok(client.get(f"{URL}{app_id}/"))["targets"] == "培训养殖户 600 人次（旧版文字目标）"


# -- the pilot flag -----------------------------------------------------------------------------


def test_pilot_flag_is_the_units(users, orgs, round_id):
    # 徐闻县科协 is a pilot county: its application says so without being told.
    xuwen = create_draft(users, round_id, "applicant_xuwen")
    assert ok(api_as(users["applicant_xuwen"]).get(f"{URL}{xuwen}/"))["pilot_county"] is True
    # A society branch is none, and cannot declare itself one.
    client = api_as(users["applicant_csf_br1"])
    before = Application.objects.count()
    assert refused(
        client.post(URL, form(round=round_id, subproject="grassroots", pilot_county=True), format="json")
    ) == ["“是否试点县”由申报单位决定，不能自行填写（本单位：否）"]
    assert Application.objects.count() == before
    app_id = create_draft(users, round_id, "applicant_csf_br1", pilot_county=False)
    assert Application.objects.get(pk=app_id).pilot_county is False
    assert refused(client.patch(f"{URL}{app_id}/", {"pilot_county": "true"}, format="json")) == [
        "“是否试点县”由申报单位决定，不能自行填写（本单位：否）"
    ]
    # When CAST flags the unit, the next save of the form follows it.
    Organization.objects.filter(pk=orgs["CSF-BR1"].pk).update(pilot_county=True)
    ok(client.patch(f"{URL}{app_id}/", {"outcomes": "形成培训教材 1 套。"}, format="json"))
    assert Application.objects.get(pk=app_id).pilot_county is True
    edit = AuditEvent.objects.filter(record_id=app_id, action="edit").latest("pk")
    assert edit.data["fields"] == ["outcomes", "pilot_county"]


def test_pilot_only_subproject_checks_the_unit_not_the_form(users, orgs, round_id):
    app_id = create_draft(users, round_id, "applicant_xuwen")
    Organization.objects.filter(pk=orgs["GD-XW-CAST"].pk).update(pilot_county=False)
    assert refused(act(users, "applicant_xuwen", app_id, "submit")) == [
        "“助力新时代文明实践中心建设”仅限新时代文明实践中心试点县申报"
    ]


# -- the 申报书 PDF -----------------------------------------------------------------------------


@pytest.mark.parametrize("applicant", list(MISSING))
def test_own_section_printed_on_its_form(users, round_id, applicant, settings):
    settings.PDF_FONT_PATH = ""
    if applicant == "applicant_gd_cast":
        make_gd_cast_applicant(users)
    code = MISSING[applicant][0]
    app_id = create_draft(users, round_id, applicant)
    ok(act(users, applicant, app_id, SUBMIT.get(applicant, ("submit",))[0]))
    response = api_as(users[applicant]).get(f"{URL}{app_id}/pdf/")
    assert response.status_code == 200
    flat = squash(pdf_text(response.content))
    sub = SubprojectType.objects.get(round_id=round_id, code=code)
    assert squash(f"五、子项目专门内容：{sub.section.label}") in flat
    for field in sub.section.fields:
        assert squash(str(field.label)) in flat, field.name
    for key, value in SECTIONS[code].items():
        for item in value if isinstance(value, list) else [value]:
            assert squash(str(item)) in flat, key
    # The other kinds' fields are not on it.
    for other in {"grassroots", "civilization_centre", "integrate"} - {code}:
        first = SubprojectType.objects.get(round_id=round_id, code=other).section.fields[0]
        assert squash(str(first.label)) not in flat
    # The common section, the schedule, the 绩效目标表, the budget by category, in 万元.
    for text in (
        "科技志愿服务信息平台组织编号",
        COMMON["platform_org_number"],
        COMMON["safety_plan"],
        COMMON["insurance_note"],
        "配套资金（元）2万元",
        "地方财政资金（元）1万元",
        "七、实施进度安排",
        *(row["activity"] for row in form()["schedule"]),
        "八、绩效目标表",
        "产出指标数量指标培训养殖户人次≥600人次",
        "效益指标社会效益指标示范点亩产提高≥10%",
        "满意度指标服务对象满意度指标服务对象满意度≥90%",
        "印刷费培训资料印制2",
        "差旅费专家差旅6",
        "申请金额（万元）8",
    ):
        assert squash(text) in flat, text


def test_pages_show_the_sections(client, users, round_id):
    client.force_login(users["applicant_csf_br1"])
    body = client.get("/applications/new/").content.decode()
    # The applicant may apply to grassroots only: its fields, and the common ones, are offered.
    assert 'data-section-kind="grassroots"' in body
    assert 'name="section-grassroots-target_areas"' in body
    assert 'data-section-kind="civilization_centre"' not in body
    assert 'name="common-platform_org_number"' in body
    assert '<datalist id="key-dates">' in body and "全国科普日（9月）" in body
    assert 'name="targets-0-level2"' in body and 'name="budget-0-category"' in body
    assert 'name="pilot_county"' not in body

    app_id = create_draft(users, round_id, "applicant_csf_br1")
    body = client.get(f"/applications/{app_id}/").content.decode()
    for text in (
        "服务的老少边贫地区",
        "边远贫困地区、革命老区",
        "中国水产学会会员 24 人组成服务队",
        "STVS-440000-0123",
        "2 万元",  # matching funds
        "学雷锋纪念日（3月5日）",
        "服务对象满意度指标",
        "≥90%",
        "印刷费",
    ):
        assert text in body, text
    # The edit page holds the saved values in their fields.
    body = client.get(f"/applications/{app_id}/edit/").content.decode()
    assert 'value="STVS-440000-0123"' in body
    assert 'value="边远贫困地区"' in body and "checked" in body
    assert 'value="培训养殖户人次"' in body


def test_page_form_saves_the_sections(client, users, round_id):
    from tests.applications.test_pages import form_post

    sub = SubprojectType.objects.get(round_id=round_id, code="grassroots")
    client.force_login(users["applicant_csf_br1"])
    assert client.post("/applications/new/", form_post(sub)).status_code == 302
    app = Application.objects.get()
    assert app.section == SECTIONS["grassroots"]
    assert app.common == {**COMMON, "platform_volunteers": 86}
    assert [r["level2"] for r in app.performance] == [r["level2"] for r in PERFORMANCE]
    assert list(app.budget_lines.values_list("category", "item")) == [
        ("printing", "培训资料印制"),
        ("travel", "专家差旅"),
    ]


def test_subproject_editor_chooses_the_section_kind(users, round_id):
    staff = api_as(users["cast_staff"])
    sub = SubprojectType.objects.get(round_id=round_id, code="grassroots")
    url = f"/api/v1/rounds/{round_id}/subprojects/{sub.pk}/"
    response = staff.patch(url, {"section_kind": "poetry"}, format="json")
    assert response.status_code == 400, response.json()
    assert "“本子项目专门内容”不是已定义的内容类型" in response.json()["errors"]
    response = staff.patch(url, {"section_kind": "integrate"}, format="json")
    assert response.status_code == 200, response.json()
    assert SubprojectType.objects.get(pk=sub.pk).section_kind == "integrate"
    assert api_as(users["applicant_csf_br1"]).patch(url, {"section_kind": ""}, format="json").status_code == 403

"""Build realistic applications and move them through the flow over HTTP, as the demo users."""

from __future__ import annotations

import io
import itertools
from typing import Any

from tests.conftest import api_as

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The sub-project's own section of each of the 2020 kinds, complete (applications.sections).
SECTIONS = {
    "grassroots": {
        "target_areas": ["边远贫困地区", "革命老区"],
        "members_count": 24,
        "members_description": "中国水产学会会员 24 人组成服务队，其中正高级职称 6 人。",
    },
    "civilization_centre": {
        "county_team": "徐闻县新时代文明实践志愿服务总队科技志愿服务大队",
        "leader_principal": "陈志强（徐闻县第一中学校长）",
        "leader_hospital": "林海（徐闻县人民医院院长）",
        "leader_station": "吴军（徐闻县农技推广站站长）",
        "centres_served": "徐闻县新时代文明实践中心，下桥镇、龙塘镇实践所，12 个村实践站。",
    },
    "integrate": {
        "provincial_team": "广东省科技志愿服务总队",
        "local_teams": "湛江市、茂名市科技志愿服务队，徐闻县等 8 个县级队伍。",
        "local_teams_count": 10,
        "resources": ["科技馆", "科普大篷车"],
        "resources_other": "高校实验室开放日",
    },
}
COMMON = {
    "platform_org_number": "STVS-440000-0123",
    "platform_volunteers": 86,
    "safety_plan": "活动前开展安全培训，现场设安全员，备急救箱，制定交通与天气应急措施。",
    "insurance": True,
    "insurance_note": "为 30 名志愿者购买人身意外伤害保险，保额 50 万元/人。",
    "matching_funds": "20000.00",
    "local_funds": "10000.00",
}
SCHEDULE = [
    {"when": "学雷锋纪念日（3月5日）", "activity": "启动仪式与首场技术培训"},
    {"when": "2027年4月至8月", "activity": "分批入户技术指导 40 次"},
    {"when": "全国科普日（9月）", "activity": "水产健康养殖科普展"},
]
PERFORMANCE = [
    {"level1": "output", "level2": "quantity", "name": "培训养殖户人次", "value": "≥600 人次"},
    {"level1": "output", "level2": "quality", "name": "培训合格率", "value": "≥95%"},
    {"level1": "output", "level2": "timeliness", "name": "按期完成率", "value": "100%"},
    {"level1": "effect", "level2": "social", "name": "示范点亩产提高", "value": "≥10%"},
    {"level1": "satisfaction", "level2": "served", "name": "服务对象满意度", "value": "≥90%"},
]

SUBPROJECT_OF = {
    "applicant_csf_br1": "grassroots",
    "applicant_gd_fish": "grassroots",
    "applicant_xuwen": "civilization_centre",
}


_mobiles = itertools.count(1)


def form(**overrides: Any) -> dict[str, Any]:
    # Each form its own leader's mobile: the same leader with similar content is suspected
    # 多头申报 at formal review (a test that wants that says so).
    data = {
        "name": "水产养殖技术进村入户",
        "leader_name": "李明",
        "leader_title": "研究员",
        "leader_phone": "010-59195222",
        "leader_mobile": f"138{next(_mobiles):08d}",
        "leader_email": "liming@example.org",
        "region_province": "广东省",
        "region_city": "湛江市",
        "region_county": "徐闻县",
        "target_groups": "徐闻县养殖户、基层农技人员",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "basis": "落实《关于组织实施科技志愿服务“智惠行动”的通知》，服务乡村振兴。",
        "content": "开展对虾健康养殖培训 12 场，现场技术指导 40 次。",
        "outcomes": "形成培训教材 1 套，典型案例 3 个。",
        "conditions": "团队 8 人，均具有中级以上职称，近三年开展同类服务 20 余次。",
        "requested_amount": "80000.00",
        "commitment": True,
        "commitment_signer": "王建国",
        "team": [
            {"name": "李明", "education": "博士", "qualification": "研究员", "role": "负责人", "phone": "13800138000"},
            {"name": "张华", "education": "硕士", "qualification": "高级工程师", "role": "培训讲师", "phone": ""},
        ],
        "budget": [
            {"category": "printing", "item": "培训资料印制", "amount": "20000.00", "note": "600 份"},
            {"category": "travel", "item": "专家差旅", "amount": "60000.00", "note": "40 人次"},
        ],
        "common": dict(COMMON),
        "schedule": [dict(row) for row in SCHEDULE],
        "performance": [dict(row) for row in PERFORMANCE],
    }
    # The sub-project's own section: that of the sub-project given (by code; else grassroots).
    sub = overrides.get("subproject")
    data["section"] = dict(SECTIONS.get(sub if isinstance(sub, str) else "grassroots", {}))
    data.update(overrides)
    return data


def upload(client, app_id: int, kind: str, content: bytes = PDF_BYTES, name: str = "sealed.pdf"):
    f = io.BytesIO(content)
    f.name = name
    return client.post(f"/api/v1/applications/{app_id}/attachments/", {"kind": kind, "file": f}, format="multipart")


def create_ready(users: dict[str, Any], round_id: int, applicant: str = "applicant_csf_br1", **overrides: Any) -> int:
    """A complete draft with its sealed PDF, ready to submit. Returns its id."""
    client = api_as(users[applicant])
    data = form(round=round_id, subproject=SUBPROJECT_OF[applicant], **overrides)
    response = client.post("/api/v1/applications/", data, format="json")
    assert response.status_code == 201, response.json()
    app_id = response.json()["id"]
    assert upload(client, app_id, "sealed_application").status_code == 201
    return app_id


def act(users: dict[str, Any], username: str, app_id: int, name: str, opinion: str = "同意。", **data: Any):
    return api_as(users[username]).post(
        f"/api/v1/applications/{app_id}/transitions/{name}/", {"opinion": opinion, "data": data}, format="json"
    )


def review(users: dict[str, Any], username: str, app_id: int, stage: str, verdict: str = "pass"):
    return api_as(users[username]).post(
        f"/api/v1/applications/{app_id}/content-reviews/",
        {"stage": stage, "verdict": verdict, "opinion": "导向正确，内容真实合法。"},
        format="json",
    )

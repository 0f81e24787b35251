"""Reading PDFs back (pypdf) and building the records the document tests need."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.management import call_command

from applications.models import Application
from tests.applications.helpers import act, create_ready, review, upload
from tests.conftest import api_as

TTF_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

# A form whose every Chinese value is distinctive, so that finding it in the PDF's text means
# the renderer printed that very field.
FORM = {
    "name": "黄河滩区渔业科技志愿服务",
    "leader_name": "欧阳明月",
    "leader_title": "正高级农艺师",
    "leader_phone": "0371-65551234",
    "leader_mobile": "13912345678",
    "leader_email": "ouyang@example.org",
    "region_province": "河南省",
    "region_city": "郑州市",
    "region_county": "中牟县",
    "target_groups": "滩区养殖户、合作社技术员",
    "period_start": "2027-03-01",
    "period_end": "2028-02-29",
    "basis": "黄河滩区水产养殖技术薄弱，急需科技志愿者下沉服务。",
    "content": "举办稻渔综合种养培训八场，入户指导六十次。",
    "outcomes": "编写《滩区稻渔种养手册》一册。",
    "conditions": "依托中牟县水产站试验基地，团队成员均有十年以上经验。",
    "requested_amount": "70000.00",
    "commitment_signer": "上官文静",
    "team": [
        {
            "name": "欧阳明月",
            "education": "博士",
            "qualification": "正高级农艺师",
            "role": "总负责",
            "phone": "13912345678",
        },
        {"name": "司马青云", "education": "硕士", "qualification": "水产工程师", "role": "现场指导", "phone": ""},
        {"name": "诸葛晓岚", "education": "本科", "qualification": "推广研究员", "role": "培训讲师", "phone": ""},
    ],
    "budget": [
        {"category": "printing", "item": "稻渔种养培训教材印制", "amount": "15000.00", "note": "四百册"},
        {"category": "travel", "item": "专家下乡交通补助", "amount": "40000.00", "note": "六十人次"},
        {"category": "materials", "item": "示范田苗种补贴", "amount": "15000.00", "note": "一千亩"},
    ],
}
RECOMMEND_OPINION = "同意推荐：滩区需求迫切，团队力量扎实。"


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(content: bytes) -> list[Any]:
    from pypdf import PdfReader

    return list(PdfReader(io.BytesIO(content)).pages)


def squash(text: str) -> str:
    """Without white space: a long value wraps over lines, and a line break is no character
    of the value."""
    return re.sub(r"\s+", "", text)


def recommended_application(users: dict[str, Any], round_id: int) -> int:
    """FORM, submitted, content-reviewed and recommended by 中国水产学会, over HTTP."""
    app_id = create_ready(users, round_id, "applicant_csf_br1", **FORM)
    assert act(users, "applicant_csf_br1", app_id, "submit").status_code == 200
    assert review(users, "content_csf", app_id, "recommender").status_code == 201
    assert upload(api_as(users["reviewer_csf"]), app_id, "recommender_opinion", name="推荐意见.pdf").status_code == 201
    response = act(users, "reviewer_csf", app_id, "recommend", opinion=RECOMMEND_OPINION)
    assert response.status_code == 200, response.json()
    return app_id


def seeded_approved() -> Application:
    """The demo records (seed_demo --with-records, moved by the real services): the one
    application issued with its approval number."""
    call_command("seed_demo", "--with-records", stdout=io.StringIO())
    return Application.objects.select_related("organization", "subproject", "round").get(state="approved")

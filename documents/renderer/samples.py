"""Realistic sample data for each kind of document, as plain dataclasses: what the benchmark
renders (bench/bench_pdf.py) and what the renderer tests start from. No database needed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .application_form import ApplicationFormData, BudgetRow, OpinionRow, ReviewRow, TeamRow
from .approval_notice import ApprovalNoticeData
from .base import Verification
from .certificate import CertificateData
from .table_document import Column, TableDocumentData

VERIFY = Verification(
    "K7M2P9QX4RT8WZ3B", "https://zhihui.example.org/verify/K7M2P9QX4RT8WZ3B/", "第 2 版 · 内容哈希 3f9a1c0e7b2d"
)


def application_form() -> ApplicationFormData:
    day = dt.date(2026, 3, 2)
    return ApplicationFormData(
        round_title="2026年度科技志愿服务“智惠行动”",
        subproject="学会科技志愿服务基层行",
        name="水产养殖技术进村入户",
        organization="中国水产学会渔业科技服务分会",
        recommending_unit="中国水产学会",
        leader_name="李明",
        leader_title="研究员",
        leader_phone="010-59195222",
        leader_mobile="13800138000",
        leader_email="liming@example.org",
        region="广东省 湛江市 徐闻县",
        pilot_county=True,
        target_groups="徐闻县养殖户、基层农技人员、返乡创业青年",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
        basis="落实《关于组织实施科技志愿服务“智惠行动”的通知》，服务乡村振兴。" * 4,
        content="开展对虾健康养殖培训 12 场，现场技术指导 40 次，建立示范点 3 个，编写培训教材 1 套。" * 4,
        targets="培训养殖户 600 人次，指导面积 2000 亩，满意度不低于 90%，示范点亩产提高 10%。" * 3,
        outcomes="形成培训教材 1 套，典型案例 3 个，技术规程 1 项，服务报告 1 份。" * 3,
        conditions="团队 8 人，均具有中级以上职称，近三年开展同类服务 20 余次，有稳定的示范基地。" * 3,
        requested_amount=Decimal("80000.00"),
        commitment=True,
        commitment_signer="王建国",
        commitment_date=day,
        revision_label="第 2 版",
        state_label="已推荐（待中国科协审核）",
        verification=VERIFY,
        team=tuple(
            TeamRow(name, "博士", "研究员", "培训讲师", "13800138000")
            for name in ("李明", "张华", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄蕾")
        ),
        budget=tuple(
            BudgetRow(item, Decimal(amount), note)
            for item, amount, note in (
                ("培训资料印制", "12000.00", "600 份 × 20 元"),
                ("专家差旅", "30000.00", "40 人次 × 750 元"),
                ("场地租用", "8000.00", "12 场"),
                ("示范点建设", "20000.00", "3 个"),
                ("劳务费", "6000.00", "按规定标准"),
                ("其他", "4000.00", "通讯、资料"),
            )
        ),
        opinions=(
            OpinionRow("中国水产学会（推荐单位审核人）", "退回修改", "请补充绩效目标的量化指标。", "赵强", day),
            OpinionRow("中国水产学会（推荐单位审核人）", "推荐", "同意推荐。", "赵强", day),
            OpinionRow("中国科协（中国科协工作人员）", "形式审查通过", "材料齐全。", "孙丽", day),
            OpinionRow("中国科协（中国科协工作人员）", "拟立项", "同意拟立项，资助 6 万元。", "孙丽", day),
        ),
        reviews=(
            ReviewRow(
                "提交扫描", "通过", "系统自动扫描", "中国水产学会渔业科技服务分会", "自动扫描：无禁止提交的词语", day
            ),
            ReviewRow("推荐单位内容审核", "通过", "钱审", "中国水产学会", "导向正确，内容真实合法。", day),
            ReviewRow("中国科协内容审核", "通过", "周审", "中国科协", "导向正确，内容真实合法。", day),
            ReviewRow("发布前内容审核", "通过", "周审", "中国科协", "名单内容无问题。", day),
        ),
    )


def approval_notice(number: int) -> ApprovalNoticeData:
    return ApprovalNoticeData(
        number=f"智惠〔2026〕{number:03d}号",
        organization="中国水产学会渔业科技服务分会",
        name="水产养殖技术进村入户",
        subproject="学会科技志愿服务基层行",
        round_title="2026年度科技志愿服务“智惠行动”",
        leader_name="李明",
        funding_amount=Decimal("60000.00"),
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
        issuer="中国科协",
        issued_on=dt.date(2026, 6, 1),
        verification=VERIFY,
    )


def result_list() -> TableDocumentData:
    columns = (
        Column("序号", 0.07, "CENTER"),
        Column("立项编号", 0.18),
        Column("项目名称", 0.27),
        Column("承担单位", 0.28),
        Column("资助金额（元）", 0.20, "RIGHT"),
    )
    rows = tuple(
        (str(i), f"智惠〔2026〕{i:03d}号", f"科技志愿服务项目{i}号", "中国水产学会渔业科技服务分会", "60,000.00")
        for i in range(1, 31)
    )
    return TableDocumentData(title="2026年度“智惠行动”立项名单", columns=columns, rows=rows, verification=VERIFY)


def certificate() -> CertificateData:
    return CertificateData(
        recipient="欧阳明月",
        citation="在科技志愿服务工作中表现突出，入选2026年度“十佳科技志愿者”先进典型。特发此证，以资鼓励。",
        number="十佳〔2026〕007号",
        issuer="中国科协",
        issued_on=dt.date(2026, 12, 5),
        verification=VERIFY,
    )

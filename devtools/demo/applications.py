"""Demo applications in every state of the flow (``seed_demo --with-records``).

Every record is created with ``application_create`` and moved only through the real
services — ``workflows.services.transition``, ``checkpoint_record``, ``assignment_create``,
``workflows.attachments.attachment_add``, ``workflows.scoring.score_submit`` and the notices services — acting
as the demo users, so each record's history, checkpoints and audit trail are the ones a real
record in that state would have.

One unit may have only one live application per sub-project and round (多头申报, docs/flows.md), and
the demo units are few, so the records are spread over two rounds, as in real life:

* the current round (the open round of ``seed_demo``), in its submission phase: draft,
  submitted, returned, resubmitted, not recommended, withdrawn, recommended, rejected at
  formal review;
* the previous year's round, in its final phase: expert review, rejected after expert review,
  proposed, public notice, approved. Its windows are opened while the records are moved and
  set back to last year's dates afterwards (demo data only).

Idempotent: a demo application that already exists (by name) is not created again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from devtools.demo import DEMO_CONTACTS

logger = logging.getLogger(__name__)

# A tiny valid PDF: the sealed application form and the recommending unit's sealed opinion.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

CURRENT, PREVIOUS = "current", "previous"
ROUND_TITLE = "{year}年度科技志愿服务“智惠行动”项目"

# Who reviews each applicant's records: (society reviewer, content reviewer) of its recommending unit.
PARTIES = {
    "applicant_csf_br1": ("reviewer_csf", "content_csf"),
    "applicant_gd_fish": ("reviewer_csf", "content_csf"),
    "applicant_xuwen": ("reviewer_gd_cast", "content_gd_cast"),
    "applicant_cae": ("reviewer_cae", "content_cae"),
}
# Demo users of 中国农学会 (CAE), which applies for “整合资源” for itself: it is its own
# recommending unit, so its records go straight to CAST with its sealed 申报单位意见.
CAE_MEMBERS = [
    ("applicant_cae", "applicant", "钱立新（中国农学会）"),
    ("reviewer_cae", "society_reviewer", "郑晓燕（中国农学会）"),
    ("content_cae", "content_reviewer", "冯涛（中国农学会内容审核）"),
]

# Expert score profiles (0–100 per criterion of the round; an unknown criterion gets "other").
STRONG = {"necessity": 92, "feasibility": 88, "targets": 86, "team": 90, "budget": 84, "other": 88}
GOOD = {"necessity": 88, "feasibility": 84, "targets": 80, "team": 86, "budget": 78, "other": 83}
FAIR = {"necessity": 82, "feasibility": 78, "targets": 76, "team": 84, "budget": 72, "other": 78}
WEAK = {"necessity": 62, "feasibility": 55, "targets": 48, "team": 70, "budget": 52, "other": 56}
POOR = {"necessity": 58, "feasibility": 50, "targets": 45, "team": 66, "budget": 55, "other": 54}


@dataclass(frozen=True)
class Demo:
    """One demo application and the path it takes. ``path`` names the final state (with
    ``resubmitted``, ``rejected_formal`` and ``rejected_expert`` for the ways to get there)."""

    name: str
    applicant: str
    subproject: str
    round: str
    path: str
    form: dict[str, Any]
    team: list[tuple[str, str, str, str, str]]
    budget: list[tuple[str, str, str]]
    opinions: dict[str, str] = field(default_factory=dict)
    experts: tuple[str, ...] = ()
    scores: tuple[tuple[str, dict[str, int], str], ...] = ()
    revision: dict[str, Any] = field(default_factory=dict)
    funding: str = ""
    notice: tuple[str, str] = ("", "")


DEMOS: list[Demo] = [
    # ---------------------------------------------------------------- the current round
    Demo(
        name="长江退捕渔民转产技能培训",
        applicant="applicant_csf_br1",
        subproject="grassroots",
        round=CURRENT,
        path="rejected_formal",
        form={
            "leader_name": "周国平",
            "leader_title": "中国水产学会科普工作委员会秘书长、高级工程师",
            "leader_phone": "010-68673916",
            "leader_mobile": "13800138101",
            "leader_email": "zhougp@csf-kp.example.org",
            "region_province": "湖北省",
            "region_city": "武汉市",
            "region_county": "新洲区",
            "target_groups": "长江禁渔后退捕上岸渔民、社区就业服务人员",
            "basis": "落实长江十年禁渔部署，帮助退捕渔民转产就业，巩固禁渔成果。",
            "content": "举办休闲渔业、稻渔综合种养、水产品加工技能培训班6期，组织专家入户指导30次。",
            "targets": "培训退捕渔民300人次，帮助50户实现转产就业，培训满意度不低于90%。",
            "outcomes": "编印《退捕渔民转产实用技术手册》1册，形成转产就业典型案例5个。",
            "conditions": "委员会有科普专家42人，近三年在长江沿线开展渔民培训15场。",
            "commitment_signer": "周国平",
        },
        team=[
            ("周国平", "硕士", "高级工程师", "项目负责人", "13800138101"),
            ("吴晓丽", "博士", "副研究员", "培训讲师", "13800138102"),
            ("程亮", "本科", "工程师", "组织协调", "13800138103"),
        ],
        budget=[
            ("培训场地及设备租赁", "12000.00", "6期×2000元"),
            ("专家劳务费", "24000.00", "30人次×800元"),
            ("专家差旅费", "18000.00", "30人次×600元"),
            ("培训资料编印", "6000.00", "手册300册×20元"),
        ],
        opinions={
            "recommend": "经审核，材料真实完整，同意推荐。",
            "reject_formal_review": "经形式审查，该项目服务地区为武汉市中心城区周边，培训内容属学会常规业务培训，"
            "不符合“学会科技志愿服务基层行”面向欠发达地区、偏远地区开展服务的申报要求，不予通过。",
        },
    ),
    Demo(
        name="墨脱高原鱼类保护科普行",
        applicant="applicant_csf_br1",
        subproject="grassroots",
        round=CURRENT,
        path="recommended",
        form={
            "leader_name": "周国平",
            "leader_title": "中国水产学会科普工作委员会秘书长、高级工程师",
            "leader_phone": "010-68673916",
            "leader_mobile": "13800138101",
            "leader_email": "zhougp@csf-kp.example.org",
            "region_province": "西藏自治区",
            "region_city": "林芝市",
            "region_county": "墨脱县",
            "target_groups": "墨脱县边境村寨农牧民、中小学师生、乡镇农牧综合服务中心技术人员",
            "basis": "墨脱县地处边境，雅鲁藏布江下游土著鱼类资源独特。项目面向边境民族地区开展"
            "科技志愿服务，普及水生生物保护知识，服务兴边富民。",
            "content": "1. 在背崩、德兴等乡镇开展土著鱼类保护科普讲座8场；\n2. 进校园开展“认识家乡的鱼”"
            "科普课堂10次；\n3. 培训乡镇技术人员开展冷水鱼健康养殖示范；\n4. 制作藏汉双语科普挂图和短视频。",
            "targets": "开展科普活动18场次，受众不少于1500人次；培训基层技术人员40人；发放藏汉双语科普挂图"
            "2000份；制作科普短视频6部，累计播放不少于5万次；服务对象满意度不低于90%。",
            "outcomes": "形成藏汉双语高原鱼类科普资源包1套，建立边境乡镇科普联络点3个。",
            "conditions": "团队由水产科研、科普专家组成，近五年在西藏、青海开展高原鱼类调查与科普20余次，"
            "与墨脱县农业农村局建立了长期合作关系。",
            "commitment_signer": "周国平",
        },
        team=[
            ("周国平", "硕士", "高级工程师", "项目负责人", "13800138101"),
            ("次仁多吉", "硕士", "副研究员", "高原鱼类保护讲师", "13800138104"),
            ("吴晓丽", "博士", "副研究员", "科普课堂主讲", "13800138102"),
            ("拉巴卓玛", "本科", "农艺师", "藏语翻译与联络", "13800138105"),
        ],
        budget=[
            ("专家劳务费", "21600.00", "27人次×800元"),
            ("专家差旅费", "36000.00", "往返林芝及县内交通，12人次×3000元"),
            ("藏汉双语科普挂图设计印制", "12000.00", "2000份×6元"),
            ("科普短视频制作", "12000.00", "6部×2000元"),
            ("科普活动物料", "8400.00", "18场次×约467元"),
        ],
        opinions={"recommend": "项目面向边境民族地区，绩效目标具体，经费测算合理，同意推荐。"},
    ),
    Demo(
        name="湛江对虾养殖技术下乡",
        applicant="applicant_gd_fish",
        subproject="grassroots",
        round=CURRENT,
        path="withdrawn",
        form={
            "leader_name": "梁志强",
            "leader_title": "广东省水产学会副秘书长、研究员",
            "leader_phone": "020-84451237",
            "leader_mobile": "13800138201",
            "leader_email": "liangzq@gdfish.example.org",
            "region_province": "广东省",
            "region_city": "湛江市",
            "region_county": "雷州市",
            "target_groups": "雷州半岛对虾养殖户、水产养殖合作社技术员",
            "basis": "雷州半岛对虾养殖病害多发，养殖户急需健康养殖技术。",
            "content": "开展对虾健康养殖培训班4期，塘头技术指导20次，建设示范塘2个。",
            "targets": "培训养殖户200人次，指导养殖面积1500亩，示范塘成活率提高10个百分点。",
            "outcomes": "形成对虾健康养殖技术要点1份，示范塘总结报告1份。",
            "conditions": "学会有对虾养殖专家15人，长期在湛江开展技术服务。",
            "commitment_signer": "林伟雄",
        },
        team=[
            ("梁志强", "博士", "研究员", "项目负责人", "13800138201"),
            ("何秀芬", "硕士", "高级工程师", "病害防控指导", "13800138202"),
            ("陈家豪", "本科", "工程师", "示范塘技术员", "13800138203"),
        ],
        budget=[
            ("专家劳务费", "16000.00", "20人次×800元"),
            ("专家差旅费", "12000.00", "20人次×600元"),
            ("培训场地及资料", "8000.00", "4期×2000元"),
            ("示范塘检测试剂", "14000.00", "2口示范塘全年水质检测"),
        ],
        opinions={
            "withdraw": "经学会研究，该项目服务对象与徐闻县科协新时代文明实践中心项目重叠，为避免重复申报，主动撤回。",
        },
    ),
    Demo(
        name="梅州山区稻鱼共生技术推广",
        applicant="applicant_gd_fish",
        subproject="grassroots",
        round=CURRENT,
        path="resubmitted",
        form={
            "leader_name": "何秀芬",
            "leader_title": "广东省水产学会理事、高级工程师",
            "leader_phone": "020-84451239",
            "leader_mobile": "13800138202",
            "leader_email": "hexf@gdfish.example.org",
            "region_province": "广东省",
            "region_city": "梅州市",
            "region_county": "大埔县",
            "target_groups": "大埔县原中央苏区山区村种养户、驻村工作队、乡镇农技站人员",
            "basis": "大埔县属原中央苏区县，山区梯田多、收入来源单一。稻鱼共生可实现“一水两用、一田双收”，"
            "项目组织学会科技志愿者送技术进山村，助力老区乡村振兴。",
            "content": "在大埔县3个镇建设稻鱼共生示范田，开展田间培训和跟踪指导，组织示范户交流观摩。",
            "targets": "培训种养户，建设示范田，带动农户增收。",
            "outcomes": "形成适合粤东山区的稻鱼共生技术规程1套，培育示范户10户。",
            "conditions": "学会稻渔综合种养专家团队8人，已在粤北连南、乳源推广稻鱼共生技术3年。",
            "commitment_signer": "林伟雄",
        },
        team=[
            ("何秀芬", "硕士", "高级工程师", "项目负责人", "13800138202"),
            ("曾宪文", "博士", "研究员", "稻鱼共生技术指导", "13800138204"),
            ("罗美玲", "本科", "农艺师", "水稻栽培指导", "13800138205"),
            ("黄俊杰", "本科", "助理工程师", "示范田记录与联络", "13800138206"),
        ],
        budget=[
            ("示范田鱼苗及配套物资", "30000.00", "3个示范点，每点10000元"),
            ("专家劳务费", "19200.00", "24人次×800元"),
            ("专家差旅费", "14400.00", "24人次×600元"),
            ("其他费用", "12000.00", ""),
        ],
        opinions={
            "return_for_revision": "绩效目标不够具体：请量化培训人次、示范田面积和带动增收指标；"
            "预算中“其他费用”1.2万元无测算依据，请细化后重新提交。",
            "resubmit": "已按推荐单位意见量化绩效目标，并将“其他费用”细化为培训和观摩费用。",
        },
        revision={
            "targets": "培训种养户400人次；建设稻鱼共生示范田150亩；示范田每亩增收不低于1500元；"
            "带动周边农户推广500亩；服务对象满意度不低于90%。",
            "budget": [
                ("示范田鱼苗及配套物资", "30000.00", "3个示范点，每点10000元"),
                ("专家劳务费", "19200.00", "24人次×800元"),
                ("专家差旅费", "14400.00", "24人次×600元"),
                ("田间培训场地及资料", "7200.00", "8期×900元"),
                ("示范户交流观摩交通", "4800.00", "2次×2400元"),
            ],
        },
    ),
    Demo(
        name="徐闻县乡村文体惠民活动",
        applicant="applicant_xuwen",
        subproject="civilization_centre",
        round=CURRENT,
        path="not_recommended",
        form={
            "leader_name": "王海",
            "leader_title": "徐闻县科协副主席",
            "leader_phone": "0759-4832516",
            "leader_mobile": "13800138301",
            "leader_email": "wanghai@xwkx.example.org",
            "region_province": "广东省",
            "region_city": "湛江市",
            "region_county": "徐闻县",
            "pilot_county": True,
            "target_groups": "徐闻县各镇村群众",
            "basis": "丰富农村群众文化生活，配合新时代文明实践中心开展惠民活动。",
            "content": "组织广场舞比赛、乡村篮球赛、文艺汇演等文体活动12场，穿插健康知识宣传。",
            "targets": "举办文体活动12场，参与群众5000人次。",
            "outcomes": "形成活动影像资料1套。",
            "conditions": "县文化馆、各镇文化站配合组织。",
            "commitment_signer": "陈国栋",
        },
        team=[
            ("王海", "本科", "县科协副主席", "项目负责人", "13800138301"),
            ("邓丽娟", "本科", "群文馆员", "活动组织", "13800138302"),
        ],
        budget=[
            ("活动场地搭建及音响租赁", "36000.00", "12场×3000元"),
            ("奖品及纪念品", "24000.00", "12场×2000元"),
            ("宣传物料", "10000.00", "展板、横幅"),
        ],
        opinions={
            "decline": "该项目以文体比赛和文艺演出为主，科技志愿服务内容不足，与“助力新时代文明实践中心建设”"
            "子项目聚焦科学普及和科技服务的要求不符，不予推荐。建议围绕科普和实用技术服务重新设计项目。",
        },
    ),
    Demo(
        name="徐闻县文明实践科普大篷车",
        applicant="applicant_xuwen",
        subproject="civilization_centre",
        round=CURRENT,
        path="returned",
        form={
            "leader_name": "王海",
            "leader_title": "徐闻县科协副主席",
            "leader_phone": "0759-4832516",
            "leader_mobile": "13800138301",
            "leader_email": "wanghai@xwkx.example.org",
            "region_province": "广东省",
            "region_city": "湛江市",
            "region_county": "徐闻县",
            "pilot_county": True,
            "target_groups": "徐闻县13个镇的新时代文明实践所（站）服务群众、留守老人和儿童、菠萝种植户",
            "basis": "徐闻县是全国新时代文明实践中心建设试点县。项目依托县新时代文明实践中心，"
            "组建科技志愿服务队，以流动科普大篷车把科普和实用技术送到镇村实践站。",
            "content": "1. 购置改装科普大篷车1辆，配备科普展品和实验器材；\n2. 每月巡回镇村实践站开展科普展览、"
            "应急安全和健康知识讲座；\n3. 在菠萝种植季组织农技专家开展田间技术指导。",
            "targets": "巡回服务镇村实践站40站次，受益群众不少于8000人次；开展菠萝种植技术指导10次；"
            "发展注册科技志愿者100名。",
            "outcomes": "形成“科普大篷车进实践站”服务模式1套，科普展品清单和讲解词汇编1册。",
            "conditions": "县科协联合县农技推广中心、县人民医院组建科技志愿服务队，现有志愿者56名。",
            "commitment_signer": "陈国栋",
        },
        team=[
            ("王海", "本科", "县科协副主席", "项目负责人", "13800138301"),
            ("林少华", "本科", "高级农艺师", "菠萝种植技术指导", "13800138303"),
            ("蔡晓敏", "硕士", "主治医师", "健康知识讲座", "13800138304"),
            ("吴振宇", "大专", "科普辅导员", "大篷车讲解与驾驶", "13800138305"),
        ],
        budget=[
            ("科普大篷车改装及展品购置", "45000.00", "车辆改装20000元，展品25000元"),
            ("巡回服务油费及维护", "16000.00", "40站次×400元"),
            ("专家劳务费", "8000.00", "10人次×800元"),
            ("科普资料印制", "6000.00", "3000份×2元"),
        ],
        opinions={
            "return_for_revision": "请补充与县新时代文明实践中心及各镇实践所（站）的对接机制和科技志愿者队伍名单；"
            "设备购置费占总预算60%，比例过高，请压缩至30%以内并相应调整服务内容后重新提交。",
        },
    ),
    Demo(
        name="农业科技志愿服务资源整合",
        applicant="applicant_cae",
        subproject="integrate",
        round=CURRENT,
        # CAE applies for itself: straight to CAST with its sealed 申报单位意见 (submit_to_cast).
        path="recommended",
        form={
            "leader_name": "孙立平",
            "leader_title": "中国农学会科技服务部主任、研究员",
            "leader_phone": "010-59194321",
            "leader_mobile": "13800138401",
            "leader_email": "sunlp@cae-kj.example.org",
            "region_province": "河北省",
            "region_city": "保定市",
            "region_county": "阜平县",
            "target_groups": "太行山革命老区县农业企业、合作社、家庭农场和基层农技人员",
            "basis": "整合中国农学会分支机构、省级农学会和涉农高校院所的专家资源，建立“专家库＋需求库＋"
            "项目库”对接机制，推动科技志愿服务精准对接老区产业需求。",
            "content": "1. 建立覆盖种植、畜牧、农机等领域的科技志愿专家库；\n2. 在阜平县征集产业技术需求并"
            "组织专家团队对接；\n3. 开展食用菌、小杂粮产业技术培训和现场指导；\n4. 总结形成资源整合工作机制。",
            "targets": "入库专家不少于200名；征集并对接技术需求50项，对接成功率不低于80%；开展培训12场、"
            "培训800人次；形成工作机制文件1份。",
            "outcomes": "建成科技志愿专家库和需求对接台账，形成可在其他老区推广的资源整合工作模式。",
            "conditions": "中国农学会有分支机构36个、会员10万余人，已连续三年在阜平县开展科技志愿服务。",
            "commitment_signer": "马立强",
        },
        team=[
            ("孙立平", "博士", "研究员", "项目负责人", "13800138401"),
            ("赵雅琴", "博士", "研究员", "食用菌产业专家", "13800138402"),
            ("刘广才", "硕士", "高级农艺师", "小杂粮栽培专家", "13800138403"),
            ("郭婷", "硕士", "助理研究员", "专家库建设与联络", "13800138404"),
        ],
        budget=[
            ("专家库及需求台账建设", "20000.00", "信息整理、数据核验"),
            ("专家劳务费", "28800.00", "36人次×800元"),
            ("专家差旅费", "25200.00", "36人次×700元"),
            ("培训场地及资料", "18000.00", "12场×1500元"),
            ("工作机制研讨", "8000.00", "2次研讨会×4000元"),
        ],
    ),
    Demo(
        name="黄土高原旱作农业科普行",
        applicant="applicant_cae",
        subproject="grassroots",
        round=CURRENT,
        path="draft",
        form={
            "leader_name": "杜建军",
            "leader_title": "中国农学会耕作制度分会副秘书长、副研究员",
            "leader_mobile": "13800138405",
            "leader_email": "dujj@cae-kj.example.org",
            "region_province": "甘肃省",
            "region_city": "庆阳市",
            "region_county": "环县",
            "target_groups": "环县旱作农业种植户、村级农技员",
            "basis": "环县为革命老区县，干旱少雨，推广全膜双垄沟播等旱作节水技术需求迫切。",
            "content": "开展旱作节水技术培训和田间指导，建设示范点。（待完善）",
            "targets": "",
            "outcomes": "",
            "conditions": "",
            "commitment_signer": "",
        },
        team=[("杜建军", "博士", "副研究员", "项目负责人", "13800138405")],
        budget=[],
    ),
    # ---------------------------------------------------------------- the previous year's round
    Demo(
        name="怒江冷水鱼养殖科普行",
        applicant="applicant_csf_br1",
        subproject="grassroots",
        round=PREVIOUS,
        path="approved",
        form={
            "leader_name": "刘建华",
            "leader_title": "中国水产学会科普工作委员会主任委员、研究员",
            "leader_phone": "010-68673915",
            "leader_mobile": "13800138106",
            "leader_email": "liujh@csf-kp.example.org",
            "region_province": "云南省",
            "region_city": "怒江傈僳族自治州",
            "region_county": "贡山独龙族怒族自治县",
            "target_groups": "贡山县独龙族、怒族聚居村养殖户，乡镇农业服务中心技术人员",
            "basis": "贡山县地处滇西北边境，冷水资源丰富但养殖技术薄弱。项目组织学会科技志愿者深入边境"
            "少数民族地区，推广虹鳟、鲟鱼生态养殖技术，助力群众增收。",
            "content": "1. 举办冷水鱼生态养殖培训班5期；\n2. 专家驻点开展塘头指导和病害诊断；\n"
            "3. 建设生态养殖示范点2个；\n4. 编制傈僳、汉双语养殖技术明白纸。",
            "targets": "培训养殖户250人次，其中少数民族群众不少于70%；现场指导30次；建设示范点2个，"
            "示范点养殖成活率达到85%以上；带动养殖户户均增收3000元以上。",
            "outcomes": "形成高原冷水鱼生态养殖技术明白纸1套，示范点建设总结报告1份，典型案例3个。",
            "conditions": "团队有冷水鱼养殖专家6人，曾在云南、四川藏区开展冷水鱼技术服务8年。",
            "commitment_signer": "刘建华",
        },
        team=[
            ("刘建华", "博士", "研究员", "项目负责人", "13800138106"),
            ("杨春燕", "硕士", "高级工程师", "冷水鱼病害防控", "13800138107"),
            ("和志刚", "本科", "水产工程师", "驻点指导（傈僳语）", "13800138108"),
        ],
        budget=[
            ("专家劳务费", "24000.00", "30人次×800元"),
            ("专家差旅费", "30000.00", "往返昆明—贡山，12人次×2500元"),
            ("示范点鱼苗及饲料", "20000.00", "2个示范点×10000元"),
            ("培训场地及双语明白纸", "10000.00", "5期×1200元，明白纸1000份×4元"),
        ],
        opinions={"recommend": "项目面向边境少数民族地区，目标明确，团队经验丰富，同意推荐。"},
        experts=("expert_1", "expert_2", "expert_3"),
        scores=(
            ("expert_1", STRONG, "立足边境民族地区实际，绩效目标具体可考核，团队长期扎根当地，建议立项。"),
            ("expert_2", GOOD, "技术路线成熟，双语明白纸有特色；差旅费偏高，建议适当压缩。"),
            ("expert_3", STRONG, "示范带动作用明显，增收目标可量化，同意立项。"),
        ),
        funding="80000.00",
        notice=(
            "{year}年度科技志愿服务“智惠行动”拟立项项目公示（第一批）",
            "经申报、推荐、形式审查、专家评审和审定，现将拟立项项目予以公示。公示期内如有异议，请以实名"
            "书面形式向中国科协农村专业技术服务中心反映。",
        ),
    ),
    Demo(
        name="连南稻渔综合种养技术服务",
        applicant="applicant_gd_fish",
        subproject="grassroots",
        round=PREVIOUS,
        path="public_notice",
        form={
            "leader_name": "曾宪文",
            "leader_title": "广东省水产学会常务理事、研究员",
            "leader_phone": "020-84451238",
            "leader_mobile": "13800138204",
            "leader_email": "zengxw@gdfish.example.org",
            "region_province": "广东省",
            "region_city": "清远市",
            "region_county": "连南瑶族自治县",
            "target_groups": "连南瑶族自治县梯田种植户、瑶族聚居村合作社",
            "basis": "连南县为少数民族聚居山区县，梯田稻作历史悠久。推广稻渔综合种养可提高梯田综合效益，"
            "助力民族地区乡村振兴。",
            "content": "建设稻渔综合种养示范田，开展田间培训、技术跟踪和收获测产，组织瑶族种养能手交流。",
            "targets": "建设示范田120亩；培训种养户300人次，其中瑶族群众不少于60%；示范田亩均增收"
            "1200元以上；满意度不低于90%。",
            "outcomes": "形成梯田稻渔综合种养技术规程1套，测产报告1份，培育种养能手8名。",
            "conditions": "学会稻渔综合种养专家团队8人，在粤北山区推广相关技术3年，与县农业农村局有合作基础。",
            "commitment_signer": "林伟雄",
        },
        team=[
            ("曾宪文", "博士", "研究员", "项目负责人", "13800138204"),
            ("罗美玲", "本科", "农艺师", "水稻栽培指导", "13800138205"),
            ("房金凤", "本科", "助理工程师", "瑶语联络与培训组织", "13800138207"),
        ],
        budget=[
            ("示范田鱼苗及防逃设施", "32000.00", "120亩×约267元"),
            ("专家劳务费", "16000.00", "20人次×800元"),
            ("专家差旅费", "12000.00", "20人次×600元"),
            ("田间培训及测产", "10000.00", "培训6期、测产1次"),
        ],
        opinions={"recommend": "项目服务民族地区梯田产业，示范带动作用明显，同意推荐。"},
        experts=("expert_2", "expert_3", "expert_4"),
        scores=(
            ("expert_2", GOOD, "示范田规模适中，增收目标明确，建议立项。"),
            ("expert_3", FAIR, "技术成熟，建议加强测产数据的第三方核验。"),
            ("expert_4", GOOD, "面向瑶族聚居村，群众参与度高，同意立项。"),
        ),
        funding="65000.00",
        notice=(
            "{year}年度科技志愿服务“智惠行动”拟立项项目公示（第二批）",
            "现将第二批拟立项项目予以公示，公示期为5个工作日。公示期内如有异议，请以实名书面形式反映，"
            "并提供联系方式和相关证明材料。",
        ),
    ),
    Demo(
        name="徐闻菠萝的海科普驿站",
        applicant="applicant_xuwen",
        subproject="civilization_centre",
        round=PREVIOUS,
        path="proposed",
        form={
            "leader_name": "王海",
            "leader_title": "徐闻县科协副主席",
            "leader_phone": "0759-4832516",
            "leader_mobile": "13800138301",
            "leader_email": "wanghai@xwkx.example.org",
            "region_province": "广东省",
            "region_city": "湛江市",
            "region_county": "徐闻县",
            "pilot_county": True,
            "target_groups": "曲界镇、龙塘镇菠萝种植户，镇村新时代文明实践站服务群众",
            "basis": "徐闻县是新时代文明实践中心建设试点县，“菠萝的海”产区种植户多、技术需求大。项目在"
            "镇级文明实践所建设科普驿站，把科技志愿服务嵌入文明实践阵地。",
            "content": "在曲界镇、龙塘镇文明实践所建设科普驿站2个；组织农技、电商志愿者开展菠萝标准化种植、"
            "催花保果和电商销售培训；开展防灾减灾和健康科普活动。",
            "targets": "建成科普驿站2个；开展培训和科普活动30场次，受益群众3000人次；指导菠萝标准化种植"
            "示范基地500亩；培训电商从业者100人。",
            "outcomes": "形成“文明实践所＋科普驿站＋产业服务”工作模式，编印菠萝种植技术手册1册。",
            "conditions": "县科协联合县农技推广中心组建菠萝产业科技志愿服务队，现有注册志愿者48名。",
            "commitment_signer": "陈国栋",
        },
        team=[
            ("王海", "本科", "县科协副主席", "项目负责人", "13800138301"),
            ("林少华", "本科", "高级农艺师", "菠萝种植技术指导", "13800138303"),
            ("梁文静", "本科", "电子商务师", "电商培训讲师", "13800138306"),
        ],
        budget=[
            ("科普驿站展板及设备", "24000.00", "2个驿站×12000元"),
            ("专家及志愿者劳务", "20000.00", "25人次×800元"),
            ("培训场地及资料", "12000.00", "30场次×400元"),
            ("技术手册编印", "6000.00", "1500册×4元"),
            ("示范基地检测及物资", "8000.00", "土壤检测、催花物资"),
        ],
        opinions={"recommend": "项目紧扣文明实践中心建设，依托驿站开展服务，可持续性强，同意推荐。"},
        experts=("expert_1", "expert_3", "expert_4"),
        scores=(
            ("expert_1", GOOD, "与文明实践阵地结合紧密，产业服务特色明显，建议立项。"),
            ("expert_3", GOOD, "绩效目标可衡量，建议加强驿站运行的长效机制。"),
            ("expert_4", FAIR, "驿站设备费用偏高，建议核减后立项。"),
        ),
        funding="60000.00",
    ),
    Demo(
        name="农业科技志愿者数字化平台",
        applicant="applicant_cae",
        subproject="integrate",
        round=PREVIOUS,
        path="rejected_expert",
        form={
            "leader_name": "孙立平",
            "leader_title": "中国农学会科技服务部主任、研究员",
            "leader_phone": "010-59194321",
            "leader_mobile": "13800138401",
            "leader_email": "sunlp@cae-kj.example.org",
            "region_province": "北京市",
            "region_city": "北京市",
            "region_county": "海淀区",
            "target_groups": "全国农业科技志愿者、基层农技推广机构",
            "basis": "开发农业科技志愿者管理平台，提高志愿服务信息化水平。",
            "content": "开发农业科技志愿者注册、活动发布和积分管理平台，开发移动端应用。",
            "targets": "完成平台开发，推广使用。",
            "outcomes": "平台1套。",
            "conditions": "学会信息中心负责开发，委托软件公司实施。",
            "commitment_signer": "马立强",
        },
        team=[
            ("孙立平", "博士", "研究员", "项目负责人", "13800138401"),
            ("郭婷", "硕士", "助理研究员", "需求分析", "13800138404"),
        ],
        budget=[
            ("平台软件开发", "70000.00", "委托开发"),
            ("服务器租用", "20000.00", "1年"),
            ("推广培训", "10000.00", "2场"),
        ],
        opinions={
            "reject": "经专家评审，该项目以软件开发为主，与中国科协已建的全国科技志愿服务平台功能重复，"
            "且绩效目标不具体、不可考核，预算以软件开发费为主，不符合本项目资助方向，不予立项。",
        },
        experts=("expert_1", "expert_2", "expert_4"),
        scores=(
            ("expert_1", WEAK, "与全国科技志愿服务平台功能重复，建议接入现有平台而非另建。"),
            ("expert_2", POOR, "绩效目标仅为“完成平台开发”，不可考核；预算结构不合理。"),
            ("expert_4", WEAK, "未体现科技志愿服务的实际内容，不建议立项。"),
        ),
    ),
    Demo(
        name="农学会专家服务团陇中行",
        applicant="applicant_cae",
        subproject="integrate",
        round=PREVIOUS,
        path="expert_review",
        form={
            "leader_name": "赵雅琴",
            "leader_title": "中国农学会理事、研究员",
            "leader_phone": "010-59194326",
            "leader_mobile": "13800138402",
            "leader_email": "zhaoyq@cae-kj.example.org",
            "region_province": "甘肃省",
            "region_city": "定西市",
            "region_county": "渭源县",
            "target_groups": "渭源县中药材和马铃薯种植户、农民专业合作社、乡镇农技人员",
            "basis": "整合中国农学会分支机构和甘肃省农学会专家资源，组建跨学科专家服务团，对接陇中地区"
            "马铃薯、中药材产业技术需求，巩固拓展脱贫攻坚成果。",
            "content": "1. 组建由种植、植保、农产品加工专家组成的服务团；\n2. 开展马铃薯脱毒种薯、中药材"
            "规范化种植培训；\n3. 与甘肃省农学会共建专家工作站1个；\n4. 开展产销对接活动。",
            "targets": "组建专家服务团30人；开展培训15场、培训1000人次；共建专家工作站1个；解决产业技术"
            "难题20项；促成产销对接签约5项。",
            "outcomes": "形成“全国学会＋省级学会＋县域产业”资源整合服务模式，专家工作站运行制度1套。",
            "conditions": "中国农学会与甘肃省农学会、定西市科协签有合作协议，已在定西开展服务2年。",
            "commitment_signer": "马立强",
        },
        team=[
            ("赵雅琴", "博士", "研究员", "项目负责人", "13800138402"),
            ("王振东", "博士", "研究员", "马铃薯育种专家", "13800138406"),
            ("李秀兰", "硕士", "副研究员", "中药材种植专家", "13800138407"),
            ("郭婷", "硕士", "助理研究员", "组织联络", "13800138404"),
        ],
        budget=[
            ("专家劳务费", "32000.00", "40人次×800元"),
            ("专家差旅费", "36000.00", "往返兰州—渭源，40人次×900元"),
            ("培训场地及资料", "15000.00", "15场×1000元"),
            ("专家工作站建设", "12000.00", "挂牌、设备、资料"),
            ("产销对接活动", "5000.00", "1场"),
        ],
        experts=("expert_1", "expert_2", "expert_3"),
        scores=(
            ("expert_1", STRONG, "资源整合路径清晰，专家工作站有利于长效服务，建议立项。"),
            ("expert_3", GOOD, "绩效目标具体，建议明确产销对接的考核口径。"),
        ),
    ),
]

NOTICE_PATHS = frozenset({"public_notice", "approved"})
STATE_OF_PATH = {"resubmitted": "submitted", "rejected_formal": "rejected", "rejected_expert": "rejected"}


def demo_names() -> list[str]:
    return [d.name for d in DEMOS]


def expected_states() -> dict[str, set[str]]:
    """The states the demo fills, per sub-project code (without the notice states when the
    notices services are not there)."""
    with_notices = _notice_services() is not None
    result: dict[str, set[str]] = {}
    for demo in DEMOS:
        if demo.path in NOTICE_PATHS and not with_notices:
            continue
        result.setdefault(demo.subproject, set()).add(STATE_OF_PATH.get(demo.path, demo.path))
    return result


# -- entry point -----------------------------------------------------------------------------


def seed_demo_records() -> int:
    """Create the missing demo applications and move each to its state. Returns how many
    were created (0 when all exist)."""
    from applications.models import Application

    with transaction.atomic():
        existing = set(Application.objects.filter(name__in=demo_names()).values_list("name", flat=True))
        missing = [d for d in DEMOS if d.name not in existing]
        notices = _notice_services()
        if notices is None:
            # The notices app (notices/services.py) is what moves a record to public_notice and
            # approved; without it those two states are left empty.
            skipped = [d.name for d in missing if d.path in NOTICE_PATHS]
            if skipped:
                logger.warning("notices services unavailable: skipping demo records %s", "、".join(skipped))
            missing = [d for d in missing if d.path not in NOTICE_PATHS]
        if not missing:
            return 0
        ctx = _Context(notices=notices, rounds=_rounds(), users=_users())
        # A fresh database must take every record; topping up a used demo database skips a
        # record the services refuse (e.g. someone moved another record of the unit meanwhile).
        strict = not existing
        previous = ctx.rounds[PREVIOUS]
        restore = _open_windows(previous) if any(d.round == PREVIOUS for d in missing) else None
        created = 0
        for demo in missing:
            if strict:
                _run(demo, ctx)
                created += 1
                continue
            try:
                with transaction.atomic():
                    _run(demo, ctx)
                created += 1
            except (ValidationError, _workflow_error()) as exc:
                logger.warning("demo record %s not created: %s", demo.name, exc)
        if restore is not None:
            type(previous).objects.filter(pk=previous.pk).update(**restore)
        return created


# -- context ---------------------------------------------------------------------------------


@dataclass
class _Context:
    notices: Any
    rounds: dict[str, Any]
    users: dict[str, Any]


def _workflow_error() -> type[Exception]:
    from workflows.exceptions import WorkflowError

    return WorkflowError


def _notice_services() -> Any:
    """``notices.services`` when it offers what the demo needs, else None."""
    try:
        from notices import services
    except ImportError:
        return None
    needed = ("notice_create", "notice_review", "notice_publish", "notice_finish")
    return services if all(callable(getattr(services, n, None)) for n in needed) else None


WINDOW_FIELDS = ("submission_opens", "submission_closes", "recommender_review_due", "cast_review_due")


def _rounds() -> dict[str, Any]:
    """The current application round (seed_demo's) and the previous year's, created if missing."""
    from applications.services import subprojects_ensure_defaults
    from workflows.models import Round, RoundKind

    year = timezone.localdate().year
    now = timezone.now()
    current, _created = Round.objects.get_or_create(
        year=year,
        kind=RoundKind.APPLICATION,
        title=ROUND_TITLE.format(year=year),
        defaults={
            "submission_opens": now - dt.timedelta(days=30),
            "submission_closes": now + dt.timedelta(days=60),
            "recommender_review_due": now + dt.timedelta(days=90),
            "cast_review_due": now + dt.timedelta(days=150),
            "notice_working_days": 5,
            "contacts": DEMO_CONTACTS,
        },
    )

    def at(month: int, day: int, hour: int) -> dt.datetime:
        return timezone.make_aware(dt.datetime(year - 1, month, day, hour))

    previous, _created = Round.objects.get_or_create(
        year=year - 1,
        kind=RoundKind.APPLICATION,
        title=ROUND_TITLE.format(year=year - 1),
        defaults={
            "submission_opens": at(3, 1, 9),
            "submission_closes": at(4, 30, 17),
            "recommender_review_due": at(5, 31, 17),
            "cast_review_due": at(9, 30, 17),
            "notice_working_days": 5,
            "contacts": DEMO_CONTACTS,
        },
    )
    for round_ in (current, previous):
        subprojects_ensure_defaults(round=round_)
    return {CURRENT: current, PREVIOUS: previous}


def _open_windows(round_: Any) -> dict[str, Any]:
    """Open every window of the round now (so its records can be moved); returns the dates to
    put back afterwards."""
    restore = {name: getattr(round_, name) for name in WINDOW_FIELDS}
    now = timezone.now()
    type(round_).objects.filter(pk=round_.pk).update(
        submission_opens=now - dt.timedelta(days=1),
        submission_closes=now + dt.timedelta(days=1),
        recommender_review_due=now + dt.timedelta(days=1),
        cast_review_due=now + dt.timedelta(days=1),
    )
    return restore


def _users() -> dict[str, Any]:
    from accounts.models import Membership, User
    from accounts.services import member_create

    for username, role, display in CAE_MEMBERS:
        if not Membership.objects.filter(user__username=username, organization__code="CAE", role=role).exists():
            member_create(
                username=username,
                org_code="CAE",
                role=role,
                password=settings.DEMO_PASSWORD,
                email=f"{username}@demo.zhihui.local",
                display_name=display,
            )
    wanted = {d.applicant for d in DEMOS} | {u for pair in PARTIES.values() for u in pair}
    wanted |= {"cast_staff", "content_cast", "expert_1", "expert_2", "expert_3", "expert_4"}
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    absent = sorted(wanted - set(users))
    if absent:
        raise ValidationError(f"demo users missing (run seed_demo first): {', '.join(absent)}")
    return users


# -- one record ------------------------------------------------------------------------------


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _rows_team(team: list[tuple[str, str, str, str, str]]) -> list[dict[str, str]]:
    keys = ("name", "education", "qualification", "role", "phone")
    return [dict(zip(keys, row, strict=True)) for row in team]


def _rows_budget(budget: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    from applications.sections import category_of_text

    return [
        {"category": category_of_text(item), "item": item, "amount": amount, "note": note}
        for item, amount, note in budget
    ]


# The sub-project's own section of each 2020 kind, for the demo records (applications.sections).
DEMO_SECTIONS: dict[str, dict[str, Any]] = {
    "grassroots": {
        "target_areas": ["边远贫困地区", "边疆民族地区", "革命老区"],
        "members_count": 18,
        "members_description": "学会会员 18 人组成科技志愿服务队，其中高级职称 9 人，均已在信息平台注册。",
    },
    "civilization_centre": {
        "county_team": "县新时代文明实践志愿服务总队科技志愿服务大队",
        "leader_principal": "陈志强（县第一中学校长）",
        "leader_hospital": "林海（县人民医院院长）",
        "leader_station": "吴军（县农业技术推广站站长）",
        "centres_served": "县新时代文明实践中心，6 个镇实践所，30 个村实践站。",
    },
    "integrate": {
        "provincial_team": "省科技志愿服务总队",
        "local_teams": "21 个地级市科技志愿服务队，60 个县级科技志愿服务队。",
        "local_teams_count": 81,
        "resources": ["科技馆", "流动科技馆", "科普大篷车", "农村中学科技馆"],
        "resources_other": "省农业科学院专家工作站",
    },
}
DEMO_COMMON = {
    "platform_org_number": "STVS-2020-0452",
    "platform_volunteers": 64,
    "safety_plan": "出发前开展安全培训；每场活动指定安全员，配备急救药品；遇恶劣天气即调整行程。",
    "insurance": True,
    "insurance_note": "为参加服务的科技志愿者购买人身意外伤害保险。",
    "matching_funds": "10000.00",
    "local_funds": "5000.00",
}


def _schedule(year: int) -> list[dict[str, str]]:
    return [
        {"when": f"{year}年7月", "activity": "组建服务队，开展志愿者安全培训"},
        {"when": "全国科普日（9月）", "activity": "集中开展科普与技术培训活动"},
        {"when": f"{year}年10月至次年5月", "activity": "分批深入服务地区开展技术指导"},
        {"when": "国际志愿者日（12月5日）", "activity": "服务成效交流与志愿者嘉许"},
    ]


def _performance(targets: str) -> list[dict[str, str]]:
    """The 绩效目标表 of a demo record; its quantity indicator the record's own targets."""
    if not targets:
        return []
    return [
        {"level2": "quantity", "name": targets[:200], "value": "按计划全部完成"},
        {"level2": "quality", "name": "培训考核合格率", "value": "≥90%"},
        {"level2": "timeliness", "name": "按进度计划完成率", "value": "100%"},
        {"level2": "social", "name": "服务对象实用技术掌握情况", "value": "明显提升"},
        {"level2": "served", "name": "服务对象满意度", "value": "≥90%"},
    ]


def _total(budget: list[tuple[str, str, str]]) -> str:
    return str(sum((Decimal(amount) for _item, amount, _note in budget), Decimal("0.00")))


def _run(demo: Demo, ctx: _Context) -> Any:
    """Create the demo application and move it along its path as the demo users."""
    from applications.services import application_create, application_update
    from workflows.attachments import attachment_add
    from workflows.services import checkpoint_record

    users = ctx.users
    round_ = ctx.rounds[demo.round]
    applicant = users[demo.applicant]
    reviewer_name, content_name = PARTIES[demo.applicant]
    reviewer, content_reviewer = users[reviewer_name], users[content_name]
    staff, content_cast = users["cast_staff"], users["content_cast"]
    opinion = demo.opinions.get

    form = dict(demo.form)
    form.pop("pilot_county", None)  # the unit's (Organization.pilot_county)
    targets = form.pop("targets", "")
    draft = demo.path == "draft"
    data: dict[str, Any] = {
        "round": round_.pk,
        "subproject": demo.subproject,
        "name": demo.name,
        "period_start": dt.date(round_.year, 7, 1),
        "period_end": dt.date(round_.year + 1, 6, 30),
        "commitment": not draft,
        **form,
        "section": {} if draft else DEMO_SECTIONS.get(demo.subproject, {}),
        "common": {} if draft else DEMO_COMMON,
        "schedule": [] if draft else _schedule(round_.year),
        "performance": _performance(targets),
        "team": _rows_team(demo.team),
        "budget": _rows_budget(demo.budget),
    }
    if demo.budget:
        data["requested_amount"] = _total(demo.budget)
    app = application_create(actor=applicant, data=data)
    if demo.path == "draft":
        return app  # still being written: no budget, no sealed form, no commitment yet

    attachment_add(app, kind="sealed_application", upload=_pdf(f"{demo.name}申报书（盖章）.pdf"), actor=applicant)
    direct = app.organization_id == app.recommending_unit_id
    if direct:
        # Its own recommending unit: no recommendation, its sealed 申报单位意见 instead.
        if demo.path in ("submitted", "withdrawn", "not_recommended", "returned", "resubmitted"):
            raise ValidationError(f"demo record {demo.name}: {demo.path} is not a state of a direct submission")
        attachment_add(app, kind="unit_opinion", upload=_pdf(f"{demo.name}申报单位意见（盖章）.pdf"), actor=applicant)
        app = _move(app, "submit_to_cast", applicant)
    else:
        app = _move(app, "submit", applicant)
    if demo.path == "submitted":
        return app
    if demo.path == "withdrawn":
        return _move(app, "withdraw", applicant, opinion("withdraw", ""))
    if demo.path == "not_recommended":
        return _move(app, "decline", reviewer, opinion("decline", "不符合申报要求，不予推荐。"))
    if demo.path in ("returned", "resubmitted"):
        app = _move(app, "return_for_revision", reviewer, opinion("return_for_revision", "请修改后重新提交。"))
        if demo.path == "returned":
            return app
        change = dict(demo.revision)
        if "targets" in change:
            change["performance"] = _performance(change.pop("targets"))
        if "budget" in change:
            change["requested_amount"] = _total(change["budget"])
            change["budget"] = _rows_budget(change["budget"])
        app = application_update(app, actor=applicant, data=change)
        return _move(app, "resubmit", applicant, opinion("resubmit", ""))

    if not direct:
        checkpoint_record(
            app,
            stage="recommender",
            verdict="pass",
            opinion="经审核，申报内容导向正确、真实合法，同意提交推荐。",
            actor=content_reviewer,
        )
        attachment_add(app, kind="recommender_opinion", upload=_pdf(f"{demo.name}推荐意见（盖章）.pdf"), actor=reviewer)
        app = _move(app, "recommend", reviewer, opinion("recommend", "同意推荐。"))
    if demo.path == "recommended":
        return app
    if demo.path == "rejected_formal":
        return _move(app, "reject_formal_review", staff, opinion("reject_formal_review", "形式审查不通过。"))

    app = _move(app, "pass_formal_review", staff, "形式审查通过：材料齐全，无多头申报，进入专家评审。")
    _expert_review(app, demo, ctx)
    if demo.path == "expert_review":
        return app
    if demo.path == "rejected_expert":
        return _move(app, "reject", staff, opinion("reject", "经专家评审，不予立项。"))

    checkpoint_record(
        app, stage="cast", verdict="pass", opinion="内容导向正确，绩效目标真实可考核，同意拟立项。", actor=content_cast
    )
    # 审定: the round's decision meeting agrees (with the amount) before 拟立项.
    agreed(app, staff, amount=demo.funding)
    app = _move(
        app,
        "propose",
        staff,
        f"经专家评审和审定，拟予立项，拟资助金额 {Decimal(demo.funding):,.2f} 元。",
        funding_amount=demo.funding,
    )
    if demo.path == "proposed":
        return app
    return _through_notice(app, demo, ctx)


def agreed(record: Any, staff: Any, *, amount: Any = None) -> None:
    from .decisions import agreed as meeting_agreed

    meeting_agreed(record, staff, amount=amount)


def _move(app: Any, name: str, actor: Any, opinion: str = "", **data: Any) -> Any:
    from workflows.services import transition

    return transition(app, name, actor=actor, opinion=opinion, data=data)


def _expert_review(app: Any, demo: Demo, ctx: _Context) -> None:
    """Assign the experts (due in two weeks) and store the scores the demo gives."""
    from workflows.scoring import score_submit
    from workflows.services import assignment_create

    staff = ctx.users["cast_staff"]
    due = timezone.localdate() + dt.timedelta(days=14)
    for expert in demo.experts:
        assignment_create(app, stage="expert", assignee=ctx.users[expert], actor=staff, due_date=due)
    criteria = app.round.typed_settings.criteria
    for expert, profile, comment in demo.scores:
        scores = {c.key: profile.get(c.key, profile["other"]) for c in criteria}
        score_submit(app, actor=ctx.users[expert], scores=scores, comment=comment)


def _through_notice(app: Any, demo: Demo, ctx: _Context) -> Any:
    """Put the record on its own notice, review and publish it; for ``approved``, let the
    period lie in the past and finish the notice (the record is issued)."""
    from applications.models import Application
    from notices.models import PublicNotice
    from workflows.calendar import notice_end

    services = ctx.notices
    staff, content_cast = ctx.users["cast_staff"], ctx.users["content_cast"]
    title, intro = demo.notice
    notice = services.notice_create(
        round=app.round,
        record_type=Application.record_type(),
        records=[app],
        title=title.format(year=app.round.year),
        intro=intro,
        actor=staff,
    )
    notice = services.notice_review(
        notice=notice, verdict="pass", opinion="公示名单内容准确，不含个人隐私信息，同意发布。", actor=content_cast
    )
    notice = services.notice_publish(notice=notice, actor=staff)
    if demo.path == "approved":
        # Demo data only: the notice ran some weeks ago (a Monday to its last working day).
        starts_on = timezone.localdate() - dt.timedelta(days=28)
        starts_on -= dt.timedelta(days=starts_on.weekday())
        PublicNotice.objects.filter(pk=notice.pk).update(
            starts_on=starts_on,
            ends_on=notice_end(starts_on, app.round.notice_working_days),
            published_at=timezone.make_aware(dt.datetime.combine(starts_on, dt.time(9))),
        )
        notice.refresh_from_db()
        services.notice_finish(notice=notice, actor=staff, opinion="公示期满，未收到异议，予以正式立项。")
    return Application.objects.get(pk=app.pk)


from devtools.demo import register  # noqa: E402

register("applications.application", seed_demo_records)

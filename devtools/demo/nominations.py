"""Demo Four Top-Ten nominations in every state of the flow (``seed_demo --with-records``).

Every record is created with ``nomination_create`` and moved only through the real services —
``workflows.services.transition``, ``checkpoint_record``, ``assignment_create``,
``workflows.attachments.attachment_add``, ``workflows.scoring.score_submit`` and the notices services
(notices, objections) — acting as the demo users of docs/api.md, so each record's history,
checkpoints and audit trail are the ones a real record in that state would have.

A recommending unit may put forward only a few candidates per category and round (the quota,
docs/flows.md), and the demo units are few, so the records are spread over two rounds, as in real
life:

* the current selection round (the open round of ``seed_demo``), in its nomination phase:
  draft, submitted (one after a return and resubmission), returned, not recommended,
  withdrawn, recommended, and ineligible (last year's winner nominated again);
* the previous year's round, in its final phase, with two winners per category for this
  small sample: expert review, shortlisted, not selected, public notice (with an objection
  waiting for a decision), awarded, and disqualified after an upheld objection — its place
  filled by the next in the ranking (递补), who was promoted through a notice of its own; an
  objection to another winner was dismissed. Its windows are opened while the records are
  moved and set back to last year's dates afterwards; the notices that have ended are dated
  some weeks back (demo data only).

Idempotent: a demo nomination that already exists (round, category, nominee) is not created
again. The previous year's records depend on one another (one ranking, shared notices) and are
created together, only when none of them exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from devtools.demo import DEMO_CONTACTS
from nominations.flows import NO_VIOLATION_STATEMENT

logger = logging.getLogger(__name__)

CURRENT, PREVIOUS = "current", "previous"
ROUND_TITLE = "{year}年度科技志愿服务“四个十佳”选树"
# The previous year's round of the demo is a small sample: two winners per category.
PREVIOUS_SETTINGS = {"winners_per_category": {"volunteer": 2, "team": 2, "project": 2, "site": 2}}
EXPERTS = ("expert_1", "expert_2", "expert_3")

# A tiny valid PDF: the sealed opinions of the applicant unit and of the recommending unit.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A small real JPEG (a field, a house and the sun); the stored photos are padded after its end
# marker to the 1–3 MB the nomination form requires, and still display as this image.
PHOTO_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwg"
    "IyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo"
    "KCgoKCgoKCgoKCgoKCj/wAARCABAAGADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAA"
    "AgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6"
    "Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
    "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREA"
    "AgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5"
    "OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPE"
    "xcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwClRRRX1B8wFFFFABRRRQAUUUUALGjSSKka"
    "s7sQqqoyST2Araj8K61JGrrYsAwBG6RAfxBORXUfD7SIY7FdTlVXnlLCM5zsUHB+hJB/D8a7Gvgs54wqYXEyw+Egny6Nu+/W"
    "1mtj6PA5JGtSVSs2r7W7Hh08MtvK0U8bxSL1R1KkfgaZXqPjXSIb/SprkKq3VshdXzjKjkqfXjOPf6mvLq+kyTN4Zth/apWk"
    "tGvPy8meVj8FLB1ORu6ewUUUV7JwhRTJO1Mrw8ZnP1atKlyXt5+V+x9TlvDX17DRxHteXmvpy32bXddiaioacnWpw2d+3qxp"
    "eztfz/4BpjuF/qmHnX9rflV7ctv1JKKKK94+SPSvh9qEM+jrZZVZ7ct8ueWUnO78zj/9ddVXiFpczWlzHPbSNHNGcqw7V0kf"
    "jnVFjVWitHIABZkbJ9zhsV+d51wjiK+KlXwjTU3dpuzTe/yPp8BnVOnSVOtutNOx1/jDUIbHQ7lZCpluEaKNM4LZGCfwBz+n"
    "evJ6s6hfXOo3JnvZWllIC5OBgDsAOBVavqMgyf8AsnD+zk7yk7t9PReS/H8DyMxx31yrzJWS2CiqNFZf29/07/H/AIB55bk7"
    "UyokYLnNO8we9eDjazxNaVW1r2/Kx+h5FmmEw+Bp06tRKSvp82Ppydai8we9NdwwwM1OFqOhWjUtextm2bYOtg6lOnUTbRbo"
    "qjRX0H9vf9O/x/4B+bF6iqNFH9vf9O/x/wCABeoqjRR/b3/Tv8f+AAUUUV8+AUUUUAFFFFABRRRQAUUUUAFFFFAH/9k="
)
MB = 1024 * 1024


@dataclass(frozen=True)
class Unit:
    """An applicant organization's people: its recommending unit's reviewers, its contact and head."""

    reviewer: str
    content_reviewer: str
    contact: tuple[str, str]
    head: str


UNITS = {
    "applicant_csf_br1": Unit("reviewer_csf", "content_csf", ("周国平", "010-68673916"), "刘建新"),
    "applicant_gd_fish": Unit("reviewer_csf", "content_csf", ("何秀芬", "020-84451239"), "林伟雄"),
    "applicant_xuwen": Unit("reviewer_gd_cast", "content_gd_cast", ("王海", "0759-4832516"), "陈国栋"),
}


@dataclass(frozen=True)
class Demo:
    """One demo nomination and where it ends. ``level``: the experts' score level (0: never
    reaches expert review); ``scored_by``: how many of the three experts have scored."""

    name: str
    category: str
    applicant: str
    round: str
    path: str
    fields: dict[str, Any]
    deeds: str
    opinions: dict[str, str] = field(default_factory=dict)
    level: int = 0
    scored_by: int = 3
    revision: dict[str, Any] = field(default_factory=dict)


# -- last year's selection: the final phase ----------------------------------------------------

PREVIOUS_DEMOS: list[Demo] = [
    Demo(
        name="林海燕",
        category="volunteer",
        applicant="applicant_csf_br1",
        round=PREVIOUS,
        path="awarded",
        fields={
            "gender": "female",
            "birth_date": "1978-05-12",
            "person_org": "中国水产学会科普工作委员会",
            "person_title": "高级工程师",
            "volunteer_number": "KJZY-2016-035172",
            "activities": 42,
            "service_hours": "268.5",
        },
        deeds="林海燕同志自2016年起在科技志愿服务平台注册，长期扎根广东、广西沿海渔村，组织对虾、石斑鱼健康养殖"
        "培训和塘头技术指导。近两年开展科技志愿服务活动42次，服务时长268.5小时，编写通俗易懂的《对虾养殖病害"
        "防控口袋书》，手把手培训养殖户1200余人次，帮助合作社建立水质检测台账，示范塘病害损失下降三成。"
        "她还带领青年科技志愿者走进渔村小学开展“认识海洋生物”科普课堂，深受群众欢迎。",
        level=93,
    ),
    Demo(
        name="梁振华",
        category="volunteer",
        applicant="applicant_gd_fish",
        round=PREVIOUS,
        path="disqualified",
        fields={
            "gender": "male",
            "birth_date": "1969-11-03",
            "person_org": "广东省海洋与水产高级技工学校",
            "person_title": "高级讲师",
            "volunteer_number": "KJZY-2017-118204",
            "activities": 35,
            "service_hours": "190.0",
        },
        deeds="梁振华同志利用业余时间组织渔业安全生产科技志愿服务，在阳江、茂名等地渔港开展渔船消防、救生设备"
        "使用和海上避险知识培训，近两年开展活动35次，服务时长190小时，培训渔民800余人次。",
        level=90,
    ),
    Demo(
        name="陈秀英",
        category="volunteer",
        applicant="applicant_xuwen",
        round=PREVIOUS,
        path="promoted",
        fields={
            "gender": "female",
            "birth_date": "1975-08-21",
            "person_org": "徐闻县人民医院",
            "person_title": "副主任医师",
            "volunteer_number": "KJZY-2018-220931",
            "activities": 58,
            "service_hours": "312.0",
        },
        deeds="陈秀英同志是徐闻县新时代文明实践中心健康科普志愿服务队骨干，坚持每月深入镇村实践站开展慢性病"
        "防治、急救知识科普和义诊，近两年开展活动58次，服务时长312小时，培训村医和群众急救员260名，"
        "在台风“摩羯”灾后组织医疗志愿者连续服务15天。",
        level=87,
    ),
    Demo(
        name="吴国强",
        category="volunteer",
        applicant="applicant_xuwen",
        round=PREVIOUS,
        path="not_selected",
        fields={
            "gender": "male",
            "birth_date": "1982-02-14",
            "person_org": "徐闻县农业技术推广中心",
            "person_title": "农艺师",
            "volunteer_number": "KJZY-2019-307712",
            "activities": 24,
            "service_hours": "96.0",
        },
        deeds="吴国强同志在菠萝主产区开展病虫害绿色防控和水肥一体化技术指导，近两年开展活动24次，"
        "服务时长96小时，服务种植户300余户。",
        level=82,
    ),
    Demo(
        name="菠萝之乡科技志愿服务队",
        category="team",
        applicant="applicant_xuwen",
        round=PREVIOUS,
        path="awarded_after_objection",
        fields={"founded_on": "2016-04-20", "registered_volunteers": 56, "activities": 120, "service_hours": "2240.0"},
        deeds="服务队由县农技推广中心、县人民医院、县气象局等单位的56名注册志愿者组成，常年在全县13个镇开展"
        "菠萝种植技术指导、健康义诊、防灾减灾和科普讲座，近两年累计开展服务活动120次，服务时长2240小时，"
        "人均40小时，带动菠萝种植户亩均增收800元，形成“科普大篷车进实践站”服务品牌。",
        level=91,
    ),
    Demo(
        name="南海渔业安全科技志愿服务队",
        category="team",
        applicant="applicant_gd_fish",
        round=PREVIOUS,
        path="awarded",
        fields={"founded_on": "2014-06-08", "registered_volunteers": 38, "activities": 86, "service_hours": "1520.0"},
        deeds="服务队依托广东省水产学会组建，38名注册志愿者来自科研院所、高校和渔业企业，围绕渔船安全生产、"
        "渔港防台风和水产品质量安全开展科普服务，近两年开展活动86次，服务时长1520小时，覆盖粤西12个渔港。",
        level=88,
    ),
    Demo(
        name="长江禁渔科普志愿服务队",
        category="team",
        applicant="applicant_csf_br1",
        round=PREVIOUS,
        path="not_selected",
        fields={"founded_on": "2020-01-01", "registered_volunteers": 25, "activities": 52, "service_hours": "410.0"},
        deeds="服务队在长江十年禁渔启动后组建，面向沿江社区和中小学开展禁渔政策和水生生物保护科普，"
        "近两年开展活动52次，服务时长410小时。",
        level=80,
    ),
    Demo(
        name="对虾健康养殖技术进村入户",
        category="project",
        applicant="applicant_gd_fish",
        round=PREVIOUS,
        path="public_notice",
        fields={
            "period_start": "2021-03-01",
            "period_end": "2023-12-31",
            "organizer": "广东省水产学会",
            "activities": 48,
            "service_hours": "960.0",
        },
        deeds="项目面向雷州半岛对虾养殖户，组织学会科技志愿者开展健康养殖培训、病害诊断和示范塘建设，"
        "三年累计开展活动48次，服务时长960小时，建成示范塘12口，示范塘成活率提高10个百分点，"
        "带动周边养殖面积5000余亩。",
        level=89,
    ),
    Demo(
        name="冬种马铃薯科技小院",
        category="project",
        applicant="applicant_xuwen",
        round=PREVIOUS,
        path="public_notice_objected",
        fields={
            "period_start": "2020-10-01",
            "period_end": "2023-09-30",
            "organizer": "徐闻县科协",
            "activities": 66,
            "service_hours": "1380.0",
        },
        deeds="项目依托县新时代文明实践中心设立“科技小院”，组织农技专家和大学生科技志愿者驻村指导冬种马铃薯"
        "脱毒种薯、测土配方施肥和机械化收获，三年累计开展活动66次，服务时长1380小时，示范推广面积3万亩。",
        level=86,
    ),
    Demo(
        name="高原鱼类保护科普行",
        category="project",
        applicant="applicant_csf_br1",
        round=PREVIOUS,
        path="expert_review",
        fields={
            "period_start": "2021-05-01",
            "period_end": "2023-10-31",
            "organizer": "中国水产学会科普工作委员会",
            "activities": 30,
            "service_hours": "420.0",
        },
        deeds="项目面向西藏林芝、青海玉树等地边境和民族地区，开展土著鱼类保护科普讲座和进校园活动，"
        "制作藏汉双语科普挂图，三年累计开展活动30次，服务时长420小时。",
        level=83,
        scored_by=2,
    ),
    Demo(
        name="下洋镇东园村科技志愿服务站",
        category="site",
        applicant="applicant_xuwen",
        round=PREVIOUS,
        path="shortlisted",
        fields={
            "site_region": "广东省湛江市徐闻县下洋镇东园村",
            "site_kind": "村",
            "activities": 40,
            "service_hours": "620.0",
        },
        deeds="服务站依托村新时代文明实践站设立，组织科技志愿者开展菠萝种植、冬种马铃薯和防灾减灾科普，"
        "年均开展活动40次，服务时长620小时，惠及村民3000余人次，建成村级科普宣传栏和农技咨询点。",
        level=88,
    ),
    Demo(
        name="霞山区海滨社区科普服务站",
        category="site",
        applicant="applicant_gd_fish",
        round=PREVIOUS,
        path="shortlisted",
        fields={
            "site_region": "广东省湛江市霞山区海滨街道",
            "site_kind": "社区",
            "activities": 28,
            "service_hours": "350.0",
        },
        deeds="服务站由广东省水产学会与社区共建，面向渔民家庭和社区居民开展海洋科普、水产品安全消费和"
        "防溺水安全教育，年均开展活动28次，服务时长350小时。",
        level=84,
    ),
]

# -- the current round: the nomination phase ---------------------------------------------------

CURRENT_DEMOS: list[Demo] = [
    Demo(
        name="林海燕",
        category="volunteer",
        applicant="applicant_csf_br1",
        round=CURRENT,
        path="ineligible",
        fields={
            "gender": "female",
            "birth_date": "1978-05-12",
            "person_org": "中国水产学会科普工作委员会",
            "person_title": "正高级工程师",
            "volunteer_number": "KJZY-2016-035172",
            "activities": 39,
            "service_hours": "245.0",
        },
        deeds="林海燕同志继续在沿海渔村开展水产健康养殖科技志愿服务，近两年开展活动39次，服务时长245小时，"
        "新增培训青年养殖户400余人次。",
        opinions={
            "declare_ineligible": "经资格审查，被推荐人已获评上一年度“十佳科技志愿者”，按选树办法近3年内不得重复"
            "推荐同类称号，资格审查不通过。",
        },
    ),
    Demo(
        name="黄志明",
        category="volunteer",
        applicant="applicant_gd_fish",
        round=CURRENT,
        path="submitted",
        fields={
            "gender": "male",
            "birth_date": "1986-09-30",
            "person_org": "广东海洋大学水产学院",
            "person_title": "副教授",
            "volunteer_number": "KJZY-2020-402288",
            "activities": 31,
            "service_hours": "176.0",
        },
        deeds="黄志明同志带领大学生科技志愿者团队深入湛江、茂名养殖村开展鱼病诊断和用药指导，建立线上"
        "“鱼病诊所”答疑群，近两年开展活动31次，服务时长176小时，解答养殖户咨询2000余条。",
    ),
    Demo(
        name="李春梅",
        category="volunteer",
        applicant="applicant_xuwen",
        round=CURRENT,
        path="draft",
        fields={"gender": "female", "person_org": "徐闻县科协", "activities": 18},
        deeds="",
    ),
    Demo(
        name="渔业科普进校园志愿服务队",
        category="team",
        applicant="applicant_csf_br1",
        round=CURRENT,
        path="recommended",
        fields={"founded_on": "2018-09-01", "registered_volunteers": 32, "activities": 64, "service_hours": "860.0"},
        deeds="服务队由中国水产学会科普工作委员会组织的32名科研人员和研究生组成，走进中小学开展“鱼类的奥秘”"
        "“保护长江”等科普课程，近两年开展活动64次，服务时长860小时，受益学生1.2万人次。",
        opinions={"recommend": "该服务队长期坚持科普进校园，事迹真实，同意推荐。"},
    ),
    Demo(
        name="徐闻县应急救护科技志愿服务队",
        category="team",
        applicant="applicant_xuwen",
        round=CURRENT,
        path="returned",
        fields={"founded_on": "2019-05-12", "registered_volunteers": 45, "activities": 70, "service_hours": "980.0"},
        deeds="服务队由县人民医院、县红十字会和县消防救援大队的志愿者组成，开展应急救护培训和防灾减灾科普，"
        "近两年开展活动70次，服务时长980小时。",
        opinions={
            "return_for_revision": "推荐表所列注册志愿者45人与科技志愿服务平台登记的32人不一致，请核对平台数据，"
            "补充志愿者名单和近两年服务活动记录后重新提交。",
        },
    ),
    Demo(
        name="珠江口渔民安全生产志愿服务队",
        category="team",
        applicant="applicant_gd_fish",
        round=CURRENT,
        path="withdrawn",
        fields={"founded_on": "2021-03-15", "registered_volunteers": 22, "activities": 51, "service_hours": "240.0"},
        deeds="服务队面向珠江口渔民开展渔船安全生产和海上救生知识培训，近两年开展活动51次，服务时长240小时。",
        opinions={
            "withdraw": "经学会研究，该服务队人均服务时长尚不足5小时，今年暂不推荐，主动撤回，明年完善后再申报。",
        },
    ),
    Demo(
        name="休闲渔业助力乡村振兴科普行动",
        category="project",
        applicant="applicant_gd_fish",
        round=CURRENT,
        path="not_recommended",
        fields={
            "period_start": "2024-01-01",
            "period_end": "2025-06-30",
            "organizer": "广东省水产学会",
            "activities": 12,
            "service_hours": "150.0",
        },
        deeds="项目在珠三角城郊渔村推广休闲渔业经营模式，组织专家开展经营管理培训和线路策划，"
        "开展活动12次，服务时长150小时。",
        opinions={
            "decline": "项目以经营管理咨询和商业推广为主，科技志愿服务的公益属性体现不足，"
            "不符合“十佳科技志愿服务项目”的推荐条件，不予推荐。",
        },
    ),
    Demo(
        name="菠萝产业科技志愿服务进万家",
        category="project",
        applicant="applicant_xuwen",
        round=CURRENT,
        path="resubmitted",
        fields={
            "period_start": "2023-01-01",
            "period_end": "2025-12-31",
            "organizer": "徐闻县科协",
            "activities": 45,
            "service_hours": "720.0",
        },
        deeds="项目组织农技、气象和电商领域的科技志愿者，围绕菠萝种植、防寒防旱和产销对接开展服务，"
        "开展活动45次，服务时长720小时。",
        opinions={
            "return_for_revision": "主要事迹过于笼统，请补充服务覆盖的镇村、受益农户数量和增收等"
            "可衡量的成效后重新提交。",
            "resubmit": "已按推荐单位意见补充服务覆盖范围和成效数据。",
        },
        revision={
            "deeds": "项目组织农技、气象和电商领域的56名科技志愿者，在曲界、前山、下洋等8个镇开展菠萝种植、"
            "防寒防旱和产销对接服务，三年开展活动45次，服务时长720小时，培训种植户3200人次，"
            "推广水肥一体化技术1.2万亩，帮助合作社对接电商平台，带动种植户户均增收4000余元。",
        },
    ),
    Demo(
        name="前山镇南山村科技志愿服务点",
        category="site",
        applicant="applicant_xuwen",
        round=CURRENT,
        path="recommended",
        fields={
            "site_region": "广东省湛江市徐闻县前山镇南山村",
            "site_kind": "村",
            "activities": 36,
            "service_hours": "540.0",
        },
        deeds="服务点设在村新时代文明实践站，常态化开展农技咨询、健康义诊和青少年科普活动，"
        "年均开展活动36次，服务时长540小时，建成村级科普图书角和农技远程诊断终端。",
        opinions={"recommend": "服务点依托新时代文明实践站常态化开展科技志愿服务，成效明显，同意推荐。"},
    ),
    Demo(
        name="闸坡镇渔港社区科普服务站",
        category="site",
        applicant="applicant_gd_fish",
        round=CURRENT,
        path="draft",
        fields={"site_region": "广东省阳江市阳西县闸坡镇", "site_kind": "社区"},
        deeds="",
    ),
]

DEMOS = PREVIOUS_DEMOS + CURRENT_DEMOS

# The state each path ends in.
STATE_OF_PATH = {
    "promoted": "awarded",
    "awarded_after_objection": "awarded",
    "public_notice_objected": "public_notice",
    "resubmitted": "submitted",
}


def state_of(demo: Demo) -> str:
    return STATE_OF_PATH.get(demo.path, demo.path)


# -- entry point -------------------------------------------------------------------------------


def seed_demo_records() -> int:
    """Create the missing demo nominations and move each to its state. Returns how many were
    created (0 when all exist)."""
    with transaction.atomic():
        rounds = _rounds()
        users = _users()
        created = _seed_previous(rounds[PREVIOUS], users)
        created += _seed_current(rounds[CURRENT], users)
    return created


def _existing(round_: Any, demos: list[Demo]) -> set[tuple[str, str]]:
    from nominations.models import Nomination

    return set(
        Nomination.objects.filter(round=round_, nominee_name__in=[d.name for d in demos]).values_list(
            "category", "nominee_name"
        )
    )


def _seed_previous(round_: Any, users: dict[str, Any]) -> int:
    existing = _existing(round_, PREVIOUS_DEMOS)
    if existing:
        if len(existing) < len(PREVIOUS_DEMOS):
            logger.warning(
                "previous-year demo nominations are incomplete (%s of %s); not topped up: they share one "
                "ranking and notices",
                len(existing),
                len(PREVIOUS_DEMOS),
            )
        return 0
    restore = _open_windows(round_)
    _Previous(round_, users).run()
    type(round_).objects.filter(pk=round_.pk).update(**restore)
    return len(PREVIOUS_DEMOS)


def _seed_current(round_: Any, users: dict[str, Any]) -> int:
    from workflows.exceptions import WorkflowError

    existing = _existing(round_, CURRENT_DEMOS)
    missing = [d for d in CURRENT_DEMOS if (d.category, d.name) not in existing]
    # A fresh database must take every record; topping up a used demo database skips a record
    # the services refuse (e.g. the round's window has closed meanwhile).
    strict = not existing
    created = 0
    for demo in missing:
        if strict:
            _run_current(demo, round_, users)
            created += 1
            continue
        try:
            with transaction.atomic():
                _run_current(demo, round_, users)
            created += 1
        except (ValidationError, WorkflowError) as exc:
            logger.warning("demo nomination %s not created: %s", demo.name, exc)
    return created


# -- rounds and users --------------------------------------------------------------------------

WINDOW_FIELDS = ("submission_opens", "submission_closes", "recommender_review_due", "cast_review_due")


def _rounds() -> dict[str, Any]:
    """The current selection round (seed_demo's) and the previous year's, created if missing."""
    from workflows.models import Round, RoundKind

    year = timezone.localdate().year
    now = timezone.now()
    current, _created = Round.objects.get_or_create(
        year=year,
        kind=RoundKind.SELECTION,
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
        kind=RoundKind.SELECTION,
        title=ROUND_TITLE.format(year=year - 1),
        defaults={
            "submission_opens": at(4, 1, 9),
            "submission_closes": at(5, 31, 17),
            "recommender_review_due": at(6, 30, 17),
            "cast_review_due": at(10, 31, 17),
            "notice_working_days": 5,
            "contacts": DEMO_CONTACTS,
            "settings": PREVIOUS_SETTINGS,
        },
    )
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
    round_.refresh_from_db()
    return restore


def _users() -> dict[str, Any]:
    from accounts.models import User

    wanted = set(UNITS) | {u for unit in UNITS.values() for u in (unit.reviewer, unit.content_reviewer)}
    wanted |= {"cast_staff", "content_cast", *EXPERTS}
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    absent = sorted(wanted - set(users))
    if absent:
        raise ValidationError(f"demo users missing (run seed_demo first): {', '.join(absent)}")
    return users


# -- the steps every record takes --------------------------------------------------------------


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _photo(name: str, n: int) -> SimpleUploadedFile:
    padding = MB + 4096 * n - len(PHOTO_JPEG)
    return SimpleUploadedFile(name, PHOTO_JPEG + b"\x00" * padding, content_type="image/jpeg")


PHOTO_NAMES = {
    "volunteer": ("塘头技术指导.jpg", "养殖户培训班.jpg", "科普进校园.jpg"),
    "team": ("服务队合影.jpg", "田间技术指导.jpg", "义诊现场.jpg"),
    "project": ("示范基地.jpg", "现场培训.jpg", "成果观摩会.jpg"),
    "site": ("服务站外景.jpg", "科普宣传栏.jpg", "村民咨询.jpg"),
}


def _move(record: Any, name: str, actor: Any, opinion: str = "") -> Any:
    from workflows.services import transition

    return transition(record, name, actor=actor, opinion=opinion)


def _create(demo: Demo, round_: Any, users: dict[str, Any]) -> Any:
    """The nomination as its applicant writes it; a finished one gets its photos and the
    unit's sealed opinion."""
    from nominations.services import nomination_create
    from workflows.attachments import attachment_add

    unit = UNITS[demo.applicant]
    applicant = users[demo.applicant]
    data: dict[str, Any] = {"round": round_.pk, "category": demo.category, "nominee_name": demo.name, **demo.fields}
    if demo.path != "draft":
        opinion_date = (
            dt.date(round_.year, 5, 20) if demo.round == PREVIOUS else timezone.localdate() - dt.timedelta(days=7)
        )
        data.update(
            deeds=demo.deeds,
            contact_name=unit.contact[0],
            contact_phone=unit.contact[1],
            unit_opinion="经本单位审核，推荐材料真实准确，被推荐对象事迹突出，同意推荐。",
            unit_opinion_signer=unit.head,
            unit_opinion_date=opinion_date.isoformat(),
        )
    nomination = nomination_create(actor=applicant, data=data)
    if demo.path == "draft":
        # Still being written: one photo so far.
        attachment_add(nomination, kind="photo", upload=_photo(PHOTO_NAMES[demo.category][0], 0), actor=applicant)
        return nomination
    for i, name in enumerate(PHOTO_NAMES[demo.category]):
        attachment_add(nomination, kind="photo", upload=_photo(name, i), actor=applicant)
    if demo.category == "volunteer":
        attachment_add(nomination, kind="id_photo", upload=_photo(f"{demo.name}二寸照.jpg", 3), actor=applicant)
    attachment_add(nomination, kind="unit_opinion", upload=_pdf("申报单位意见（盖章）.pdf"), actor=applicant)
    return nomination


def _recommend(nomination: Any, demo: Demo, users: dict[str, Any]) -> Any:
    """Submitted, passed by the recommending unit's content reviewer, its sealed opinion
    attached, recommended with the no-violation statement."""
    from workflows.attachments import attachment_add
    from workflows.services import checkpoint_record

    unit = UNITS[demo.applicant]
    reviewer = users[unit.reviewer]
    nomination = _move(nomination, "submit", users[demo.applicant])
    checkpoint_record(
        nomination,
        stage="recommender",
        verdict="pass",
        opinion="经审核，推荐材料导向正确，事迹真实，可以公开宣传。",
        actor=users[unit.content_reviewer],
    )
    attachment_add(nomination, kind="recommender_opinion", upload=_pdf("推荐单位意见（盖章）.pdf"), actor=reviewer)
    opinion = demo.opinions.get("recommend", "经审核，被推荐对象事迹真实、突出，同意推荐。")
    return _move(nomination, "recommend", reviewer, f"{opinion}经了解，被推荐对象{NO_VIOLATION_STATEMENT}。")


# Each expert's deviation from the record's level on (deeds, impact, innovation, continuity).
EXPERT_OFFSETS = ((2, 0, -1, 1), (0, 1, -2, 0), (-1, -2, 1, -1))
EXPERT_COMMENTS = (
    "事迹真实感人，服务成效有数据支撑，示范带动作用明显。",
    "服务持续时间长，覆盖面广，建议进一步总结可复制的经验。",
    "创新性一般，但扎根基层、长期坚持，社会反响良好。",
)


def _expert_review(nomination: Any, demo: Demo, users: dict[str, Any]) -> Any:
    """Eligibility confirmed, three experts assigned (due in two weeks), their scores."""
    from workflows.scoring import score_submit
    from workflows.services import assignment_create

    staff = users["cast_staff"]
    nomination = _move(nomination, "confirm_eligible", staff, "资格审查通过：推荐材料齐全，各项资格条件均满足。")
    due = timezone.localdate() + dt.timedelta(days=14)
    for expert in EXPERTS:
        assignment_create(nomination, stage="expert", assignee=users[expert], actor=staff, due_date=due)
    keys = [c.key for c in nomination.round.typed_settings.criteria[demo.category]]
    for expert, offsets, comment in list(zip(EXPERTS, EXPERT_OFFSETS, EXPERT_COMMENTS, strict=True))[: demo.scored_by]:
        values = {key: max(0, min(100, demo.level + offsets[i % len(offsets)])) for i, key in enumerate(keys)}
        score_submit(nomination, actor=users[expert], scores=values, comment=comment)
    return nomination


# -- the current round: one record at a time ---------------------------------------------------


def _run_current(demo: Demo, round_: Any, users: dict[str, Any]) -> Any:
    from nominations.services import nomination_update

    unit = UNITS[demo.applicant]
    applicant, reviewer = users[demo.applicant], users[unit.reviewer]
    opinion = demo.opinions.get
    nomination = _create(demo, round_, users)
    if demo.path == "draft":
        return nomination
    if demo.path in ("recommended", "ineligible"):
        nomination = _recommend(nomination, demo, users)
        if demo.path == "ineligible":
            nomination = _move(nomination, "declare_ineligible", users["cast_staff"], opinion("declare_ineligible", ""))
        return nomination
    nomination = _move(nomination, "submit", applicant)
    if demo.path == "withdrawn":
        return _move(nomination, "withdraw", applicant, opinion("withdraw", ""))
    if demo.path == "not_recommended":
        return _move(nomination, "decline", reviewer, opinion("decline", ""))
    if demo.path in ("returned", "resubmitted"):
        nomination = _move(nomination, "return_for_revision", reviewer, opinion("return_for_revision", ""))
        if demo.path == "resubmitted":
            nomination = nomination_update(nomination, actor=applicant, data=dict(demo.revision))
            nomination = _move(nomination, "resubmit", applicant, opinion("resubmit", ""))
    return nomination


# -- last year's round: the selection, its notices and objections ------------------------------

OBJECTIONS = {
    "梁振华": (
        "203.0.113.21",
        {
            "name": "郑伟",
            "identity": "广东省海洋与水产高级技工学校教师",
            "unit": "广东省海洋与水产高级技工学校",
            "phone": "13902201234",
            "content": "被推荐人申报的190小时服务时长中，约86小时为其在校内开设的渔船安全实训课，属于本职教学工作，"
            "不应计为科技志愿服务时长，请予核实。",
        },
        "uphold",
        "经核查学校课表和科技志愿服务平台记录，被推荐人申报的服务时长中有86小时与本职教学任务重复计算，"
        "扣除后不符合“十佳科技志愿者”的入选条件，异议成立，取消其入选资格。",
    ),
    "菠萝之乡科技志愿服务队": (
        "203.0.113.22",
        {
            "name": "黄丽",
            "identity": "徐闻县曲界镇居民",
            "unit": "徐闻县曲界镇某菠萝种植合作社",
            "phone": "0759-4861234",
            "content": "听说服务队部分注册志愿者只是挂名，并未实际参加服务活动，请核实人数是否属实。",
        },
        "dismiss",
        "经核查科技志愿服务平台记录和活动签到表，服务队所列56名注册志愿者近两年均有实际服务记录，异议不成立。",
    ),
}
PENDING_OBJECTION = (
    "冬种马铃薯科技小院",
    "203.0.113.23",
    {
        "name": "符明",
        "identity": "徐闻县农业农村局退休干部",
        "unit": "徐闻县老科协",
        "phone": "13726901234",
        "content": "项目所报示范推广面积3万亩，与县农业部门统计的冬种马铃薯面积口径不一致，建议核实后再公布。",
    },
)


class _Previous:
    """The previous year's selection, moved together: one ranking, shared notices."""

    def __init__(self, round_: Any, users: dict[str, Any]):
        self.round = round_
        self.users = users
        self.staff = users["cast_staff"]
        self.year = round_.year
        self.records: dict[str, Any] = {}

    def run(self) -> None:
        from notices import services as notices

        for demo in PREVIOUS_DEMOS:
            nomination = _create(demo, self.round, self.users)
            nomination = _recommend(nomination, demo, self.users)
            self.records[demo.name] = _expert_review(nomination, demo, self.users)
        self._decide()

        # The first notice: objections to two entries, one upheld, one dismissed.
        first = self._notice(
            ["林海燕", "梁振华", "菠萝之乡科技志愿服务队", "南海渔业安全科技志愿服务队"],
            f"{self.year}年度科技志愿服务“四个十佳”拟入选名单公示",
            "经各推荐单位推荐、资格审查和专家评审，拟确定以下对象入选{year}年度科技志愿服务“四个十佳”，现予公示。"
            "公示期内，任何单位和个人如有异议，请以书面形式实名提出，并提供必要的证明材料。",
        )
        for name, (ip, objector, decision, reason) in OBJECTIONS.items():
            objection = self._object(first, name, ip, objector)
            notices.objection_decide(objection=objection, decision=decision, reason=reason, actor=self.staff)
        # The disqualified volunteer's place goes to the next in the ranking (递补).
        second = self._notice(
            ["陈秀英"],
            f"{self.year}年度科技志愿服务“四个十佳”递补人选公示",
            "因原拟入选对象经核查取消入选资格，根据专家评审排名，拟递补以下对象入选，现予公示。",
        )
        # Demo data only: both ran some weeks ago; finishing them awards the winners.
        for notice, weeks in ((first, 7), (second, 5)):
            self._date_back(notice, weeks)
            notices.notice_finish(notice=notice, actor=self.staff, opinion="公示期满，予以公布。")

        # The second batch is on notice now, with an objection waiting for a decision.
        running = self._notice(
            ["对虾健康养殖技术进村入户", "冬种马铃薯科技小院"],
            f"{self.year}年度科技志愿服务“四个十佳”拟入选名单公示（第二批）",
            "现将第二批拟入选的科技志愿服务项目予以公示。公示期内如有异议，请以书面形式实名提出。",
        )
        name, ip, objector = PENDING_OBJECTION
        self._object(running, name, ip, objector)

    def _decide(self) -> None:
        """CAST's content review, then shortlist the top of each category; not selected the rest."""
        from workflows.services import checkpoint_record

        content_cast = self.users["content_cast"]
        decided = [d for d in PREVIOUS_DEMOS if d.path != "expert_review"]
        for demo in sorted(decided, key=lambda d: -d.level):
            record = self.records[demo.name]
            if demo.path in ("not_selected", "promoted"):
                self.records[demo.name] = _move(
                    record, "not_select", self.staff, "经专家评审，综合得分未进入本类别拟入选名额。"
                )
                continue
            checkpoint_record(
                record,
                stage="cast",
                verdict="pass",
                opinion="事迹材料导向正确、真实可信，适合公开宣传。",
                actor=content_cast,
            )
            # 审定: the round's decision meeting agrees before 拟入选.
            from .decisions import agreed

            agreed(record, self.staff)
            # No opinion: shortlisting is then held to the category's number and the ranking.
            self.records[demo.name] = _move(record, "shortlist", self.staff)

    def _notice(self, names: list[str], title: str, intro: str) -> Any:
        from nominations.models import Nomination
        from notices import services as notices

        notice = notices.notice_create(
            round=self.round,
            record_type=Nomination.record_type(),
            records=[self.records[n] for n in names],
            title=title,
            intro=intro.format(year=self.year),
            actor=self.staff,
        )
        notice = notices.notice_review(
            notice=notice,
            verdict="pass",
            opinion="公示名单内容准确，不含联系电话、身份证件号码等个人信息，同意发布。",
            actor=self.users["content_cast"],
        )
        return notices.notice_publish(notice=notice, actor=self.staff)

    def _object(self, notice: Any, name: str, ip: str, objector: dict[str, str]) -> Any:
        from notices import services as notices

        entry = notice.entries.get(record_id=self.records[name].pk)
        return notices.objection_file(notice=notice, entry_id=entry.pk, email="", client_ip=ip, **objector)

    def _date_back(self, notice: Any, weeks: int) -> None:
        from notices.models import PublicNotice
        from workflows.calendar import notice_end

        starts_on = timezone.localdate() - dt.timedelta(weeks=weeks)
        starts_on -= dt.timedelta(days=starts_on.weekday())  # a Monday
        PublicNotice.objects.filter(pk=notice.pk).update(
            starts_on=starts_on,
            ends_on=notice_end(starts_on, self.round.notice_working_days),
            published_at=timezone.make_aware(dt.datetime.combine(starts_on, dt.time(9))),
        )
        notice.refresh_from_db()


def expected_states() -> dict[str, set[str]]:
    """The states the demo fills, per category."""
    result: dict[str, set[str]] = {}
    for demo in DEMOS:
        result.setdefault(demo.category, set()).add(state_of(demo))
    return result


__all__ = ["DEMOS", "expected_states", "seed_demo_records"]


from devtools.demo import register  # noqa: E402

register("nominations.nomination", seed_demo_records)

"""Words the scale seed writes with: places, people, societies, project topics and the
paragraphs of a form. Deterministic: every generator takes a ``random.Random``.

Nothing here is a sensitive term of the demo list; the submission scan still runs on every
text (the seed stores its real findings).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

# The 31 provincial-level divisions with their GB/T 2260 codes.
PROVINCES = [
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
]

# Syllables for made-up city and county names (real-sounding, not real places).
PLACE_SYLLABLES = (
    "安平宁远昌乐泰和永丰兴华临川青山白水长岭新河东阳西林南江北屯云龙凤台石门金沙"
    "玉田清河丰城广德定边崇义建德宜章桂阳武陵清远怀化鹤峰松溪古田龙泉庆元开化遂昌"
)

# Fields of the national societies (中国 + field + 学会); the first ones are real societies.
SOCIETY_FIELDS = [
    "农学",
    "水产",
    "林学",
    "畜牧兽医",
    "气象",
    "地质",
    "园艺",
    "作物",
    "土壤",
    "植物保护",
    "茶叶",
    "蚕学",
    "草学",
    "水土保持",
    "生态学",
    "环境科学",
    "地理",
    "海洋",
    "动物",
    "植物",
    "昆虫",
    "心理",
    "营养",
    "药学",
    "食品科学技术",
    "农业机械",
    "农业工程",
    "水利",
    "电机工程",
    "电子",
    "计算机",
    "机械工程",
    "土木工程",
    "建筑",
    "测绘",
    "化学",
    "物理",
    "数学",
    "天文",
    "力学",
    "科普作家",
    "科技馆",
    "老科学技术工作者",
    "防痨",
    "抗癌",
    "中西医结合",
    "针灸",
    "康复医学",
    "卫生信息",
    "消防",
    "灾害防御",
    "地震",
    "气候变化",
    "可再生能源",
    "农村能源",
    "节能",
    "种子",
    "热带作物",
    "野生动物保护",
    "湿地保护",
]
SOCIETY_SUFFIXES = ("学会", "协会", "研究会")

BRANCH_KINDS = (
    "科普工作委员会",
    "青年工作委员会",
    "科技服务专业委员会",
    "乡村振兴专业委员会",
    "健康科普专业委员会",
    "技术推广分会",
    "继续教育工作委员会",
    "科学传播专业委员会",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭"
)
GIVEN = (
    "建国明华丽秀英敏军伟芳静强磊洋艳勇杰娟涛超霞平刚桂兰志海燕红玲林峰晓东雪梅春玉凤鹏辉宇浩然文博思远佳怡子轩雨欣梓涵"
)

TITLES = ("研究员", "副研究员", "高级工程师", "工程师", "高级农艺师", "农艺师", "主任医师", "副教授", "教授", "讲师")
EDUCATION = ("博士", "硕士", "本科", "大专")
TEAM_ROLES = ("技术指导", "培训讲师", "组织协调", "科普讲解", "现场示范", "资料编写", "联络与记录")

TOPICS = {
    "grassroots": (
        "稻渔综合种养",
        "设施蔬菜栽培",
        "果树修剪嫁接",
        "畜禽疫病防控",
        "水产健康养殖",
        "中药材规范种植",
        "食用菌栽培",
        "茶园绿色防控",
        "农机安全使用",
        "气象防灾减灾",
        "地质灾害防治",
        "慢病健康管理",
        "青少年科学素质",
        "应急救护培训",
        "林下经济",
        "土壤改良",
        "节水灌溉",
        "冷水鱼养殖",
        "油茶丰产",
        "蜂产业技术",
    ),
    "civilization_centre": (
        "文明实践科普",
        "科普大篷车",
        "应急科普",
        "健康科普进村",
        "科学育儿讲堂",
        "农技服务站",
        "老年数字素养",
        "反诈科普",
        "科普图书角",
        "乡村科技小院",
    ),
    "integrate": (
        "科技志愿服务资源整合",
        "专家资源共享",
        "需求对接平台",
        "科技志愿服务联盟",
        "学会服务站网络",
    ),
}
FORMS = (
    "科普行",
    "技术培训",
    "下乡服务",
    "进村入户",
    "科技帮扶",
    "示范推广",
    "志愿服务",
    "科普讲堂",
    "田间课堂",
    "服务团",
)
TARGET_GROUPS = (
    "种养大户、农民专业合作社成员和乡镇农技人员",
    "留守老人和儿童、村（社区）群众",
    "中小学师生和乡村教师",
    "退捕渔民、返乡创业青年和家庭农场主",
    "基层医务人员和慢性病患者家庭",
    "新型职业农民和农村电商从业人员",
)
BUDGET_ITEMS = (
    ("专家劳务费", "人次×800元"),
    ("专家差旅费", "人次×600元"),
    ("培训场地及资料", "期×2000元"),
    ("科普资料编印", "份×6元"),
    ("示范物资", "个示范点"),
    ("科普短视频制作", "部×2000元"),
    ("活动物料", "场次×500元"),
)

CATEGORY_NOUNS = {
    "team": ("科技志愿服务队", "科技志愿者服务团", "专家服务队"),
    "project": ("科技志愿服务项目", "科普行动", "技术帮扶项目"),
    "site": ("科技志愿服务站", "科普服务点", "科技小院"),
}
PERSON_TITLES = ("高级农艺师", "研究员", "主任医师", "中学高级教师", "高级工程师", "乡镇农技站站长", "村医")


def place_name(rng: random.Random, suffix: str) -> str:
    """A made-up two-syllable place name with its suffix (市, 县, 镇, 村)."""
    i = rng.randrange(0, len(PLACE_SYLLABLES) - 1, 2)
    j = rng.randrange(0, len(PLACE_SYLLABLES) - 1, 2)
    return PLACE_SYLLABLES[i] + PLACE_SYLLABLES[j + 1] + suffix


def person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.8 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}"


def society_name(index: int) -> str:
    field = SOCIETY_FIELDS[index % len(SOCIETY_FIELDS)]
    suffix = SOCIETY_SUFFIXES[(index // len(SOCIETY_FIELDS)) % len(SOCIETY_SUFFIXES)]
    round_no = index // (len(SOCIETY_FIELDS) * len(SOCIETY_SUFFIXES))
    prefix = "中国" if round_no == 0 else "中国" + "农林水医工理文"[round_no % 7]
    return f"{prefix}{field}{suffix}"


def society_field(index: int) -> str:
    return SOCIETY_FIELDS[index % len(SOCIETY_FIELDS)]


def amount_split(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """``parts`` amounts in whole hundreds of yuan that add up to ``total``."""
    hundreds = int(total / 100)
    cuts = sorted(rng.sample(range(1, hundreds), parts - 1))
    bounds = [0, *cuts, hundreds]
    return [Decimal(100 * (b - a)).quantize(Decimal("0.01")) for a, b in itertools.pairwise(bounds)]


def application_texts(rng: random.Random, *, topic: str, form: str, county: str, province: str) -> dict[str, str]:
    """The paragraphs of an application form (立项依据、主要内容、绩效目标、预期成果、实施条件)."""
    sessions = rng.randint(4, 12)
    people = rng.randint(20, 120) * 10
    experts = rng.randint(5, 40)
    groups = rng.choice(TARGET_GROUPS)
    return {
        "target_groups": f"{county}{groups}",
        "basis": f"{province}{county}地处偏远，{topic}技术需求迫切而基层服务力量薄弱。项目组织科技志愿者"
        f"深入一线，以{form}的方式把实用技术和科学知识送到群众身边，助力乡村振兴。",
        "content": f"1. 举办{topic}专题培训{sessions}期；\n2. 组织专家入户、到田间地头开展现场指导"
        f"{sessions * 3}次；\n3. 编印通俗易懂的技术明白纸和科普挂图；\n4. 建立线上答疑群，持续跟踪服务。",
        "targets": f"开展培训{sessions}期、服务群众不少于{people}人次；现场指导{sessions * 3}次；"
        f"发放科普资料{people * 2}份；服务对象满意度不低于90%。",
        "outcomes": f"形成{topic}实用技术要点1套、典型案例{rng.randint(3, 8)}个，建立基层科技志愿服务联系点"
        f"{rng.randint(2, 6)}个。",
        "conditions": f"团队现有科技志愿者{experts}名，近三年在{province}开展相关服务{rng.randint(5, 30)}场次，"
        "与当地县乡两级建立了稳定的合作关系。",
    }


def deeds_text(rng: random.Random, *, nominee: str, category: str, county: str, years: int, hours: int) -> str:
    """主要事迹: a few hundred characters of facts with numbers."""
    lead = {
        "volunteer": f"{nominee}同志扎根基层{years}年，",
        "team": f"{nominee}成立{years}年来，",
        "project": f"{nominee}实施{years}年来，",
        "site": f"{nominee}建站{years}年来，",
    }[category]
    paragraphs = [
        lead + f"坚持在{county}开展科技志愿服务，累计服务时长{hours}小时，足迹遍布全县{rng.randint(8, 30)}个乡镇。",
        f"围绕群众急需的实用技术，组织培训{rng.randint(20, 200)}场次，受益群众{rng.randint(2, 40) * 500}人次，"
        f"帮助{rng.randint(20, 300)}户群众掌握了增收技能。",
        f"在防汛救灾和应急科普中冲锋在前，编写科普材料{rng.randint(5, 40)}种，录制科普视频{rng.randint(3, 30)}部，"
        "相关经验被当地作为典型推广。",
        "工作中注重发挥示范带动作用，带出了一支懂技术、肯吃苦的基层科技志愿者队伍，群众满意度高。",
    ]
    return "\n".join(paragraphs)


def birth_date(rng: random.Random, year: int) -> dt.date:
    return dt.date(year - rng.randint(28, 62), rng.randint(1, 12), rng.randint(1, 28))

"""Demo organizations, users and open rounds (docs/api.md); idempotent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, OrgType, Role, User
from accounts.services import recompute_recommending_units
from devtools.demo import DEMO_CONTACTS, seeders
from workflows.models import Round, RoundKind, SensitiveTerm, Severity

ORGANIZATIONS = [
    # code, name, type, parent, pilot county
    ("CAST", "中国科协", OrgType.CAST, None, False),
    ("CSF", "中国水产学会", OrgType.NATIONAL_SOCIETY, "CAST", False),
    ("CSF-BR1", "中国水产学会科普工作委员会", OrgType.SOCIETY_BRANCH, "CSF", False),
    ("GD-FISH", "广东省水产学会", OrgType.PROVINCIAL_SOCIETY, "CSF", False),
    ("CAE", "中国农学会", OrgType.NATIONAL_SOCIETY, "CAST", False),
    ("GD-CAST", "广东省科协", OrgType.PROVINCIAL_CAST, "CAST", False),
    ("GD-ZJ-CAST", "湛江市科协", OrgType.CITY_CAST, "GD-CAST", False),
    ("GD-XW-CAST", "徐闻县科协", OrgType.COUNTY_CAST, "GD-ZJ-CAST", True),
    # The channels (docs/domain.md, "Channels"): a provincial society kept under its national
    # society reports to its provincial CAST by default; a sub-provincial city CAST and the
    # corps CAST report to CAST directly (they are recommending units).
    ("GD-AGRI", "广东省农学会", OrgType.PROVINCIAL_SOCIETY, "CAE", False),
    ("SZ-CAST", "深圳市科协", OrgType.SUBPROVINCIAL_CITY_CAST, "CAST", False),
    ("XJBT-CAST", "新疆生产建设兵团科协", OrgType.CORPS_CAST, "CAST", False),
]
# Channels CAST staff set (Organization.channel). GD-FISH's records have always been reviewed by
# CSF in the demo (its users and records show that path): the demo keeps it as a channel set
# by CAST staff, where GD-AGRI shows the default (its provincial CAST).
CHANNELS = {"GD-FISH": "CSF"}

USERS = [
    # username, display name, organization, role
    ("applicant_csf_br1", "李明（科普工作委员会）", "CSF-BR1", Role.APPLICANT),
    ("applicant_gd_fish", "陈静（广东省水产学会）", "GD-FISH", Role.APPLICANT),
    ("applicant_xuwen", "王海（徐闻县科协）", "GD-XW-CAST", Role.APPLICANT),
    ("reviewer_csf", "张翔（中国水产学会）", "CSF", Role.SOCIETY_REVIEWER),
    ("content_csf", "刘芳（中国水产学会内容审核）", "CSF", Role.CONTENT_REVIEWER),
    ("reviewer_gd_cast", "黄伟（广东省科协）", "GD-CAST", Role.SOCIETY_REVIEWER),
    ("content_gd_cast", "周丽（广东省科协内容审核）", "GD-CAST", Role.CONTENT_REVIEWER),
    ("cast_staff", "赵强（中国科协）", "CAST", Role.CAST_STAFF),
    ("content_cast", "孙悦（中国科协内容审核）", "CAST", Role.CONTENT_REVIEWER),
    ("expert_1", "专家一", "CAST", Role.EXPERT),
    ("expert_2", "专家二", "CAST", Role.EXPERT),
    ("expert_3", "专家三", "CAST", Role.EXPERT),
    ("expert_4", "专家四", "CAST", Role.EXPERT),
    ("expert_5", "专家五", "CAST", Role.EXPERT),
    ("auditor", "审计员", "CAST", Role.AUDITOR),
    # The channel cases: a national society applying for itself, a provincial society through
    # its provincial CAST, a sub-provincial city CAST and the corps CAST applying directly.
    ("applicant_csf", "吴磊（中国水产学会申报）", "CSF", Role.APPLICANT),
    ("applicant_gd_agri", "郑洁（广东省农学会）", "GD-AGRI", Role.APPLICANT),
    ("applicant_sz_cast", "林涛（深圳市科协）", "SZ-CAST", Role.APPLICANT),
    ("reviewer_sz_cast", "何敏（深圳市科协审核）", "SZ-CAST", Role.SOCIETY_REVIEWER),
    ("content_sz_cast", "许晴（深圳市科协内容审核）", "SZ-CAST", Role.CONTENT_REVIEWER),
    ("applicant_xjbt", "马骏（兵团科协）", "XJBT-CAST", Role.APPLICANT),
]
# expert_5 also belongs to CSF, for conflict-of-interest cases.
EXTRA_MEMBERSHIPS = [("expert_5", "CSF", Role.EXPERT)]

# With CAST's context exceptions: volunteers campaign against 传销 and 赌博, and a project
# named for that is no finding.
DEMO_TERMS = [
    ("法轮功", "illegal", Severity.BLOCK, []),
    ("赌博", "illegal", Severity.BLOCK, ["反赌博", "禁赌博", "拒绝赌博", "远离赌博"]),
    ("传销", "illegal", Severity.BLOCK, ["防范传销", "打击传销", "反传销"]),
    ("包治百病", "harmful", Severity.REVIEW, []),
    ("伪科学", "harmful", Severity.NOTICE, ["反对伪科学", "揭穿伪科学"]),
]


class Command(BaseCommand):
    help = "Create the demo organizations, users and open rounds (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-records",
            action="store_true",
            help="also fill every state of every flow with realistic records",
        )

    def handle(self, *args, with_records: bool = False, **options):
        # The demo users' addresses are made up: while seeding, their e-mails go to a dummy
        # backend instead of filling the console with a hundred mails (the in-app inbox
        # still receives everything).
        from django.test.utils import override_settings

        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._seed(with_records)

    @transaction.atomic
    def _seed(self, with_records: bool) -> None:
        orgs: dict[str, Organization] = {}
        for code, name, type_, parent, pilot in ORGANIZATIONS:
            org, _ = Organization.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "type": type_,
                    "parent": orgs.get(parent) if parent else None,
                    "pilot_county": pilot,
                    "channel": orgs.get(CHANNELS.get(code, "")),
                },
            )
            orgs[code] = org
        recompute_recommending_units()

        password = settings.DEMO_PASSWORD
        for username, display, org_code, role in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"display_name": display, "email": f"{username}@demo.zhihui.local"},
            )
            if created or not user.check_password(password):
                user.set_password(password)
                user.save()
            Membership.objects.get_or_create(user=user, organization=orgs[org_code], role=role)
        for username, org_code, role in EXTRA_MEMBERSHIPS:
            Membership.objects.get_or_create(
                user=User.objects.get(username=username), organization=orgs[org_code], role=role
            )

        now = timezone.now()
        year = timezone.localdate().year
        windows = {
            "submission_opens": now - dt.timedelta(days=30),
            "submission_closes": now + dt.timedelta(days=60),
            "recommender_review_due": now + dt.timedelta(days=90),
            "cast_review_due": now + dt.timedelta(days=150),
        }
        Round.objects.get_or_create(
            year=year,
            kind=RoundKind.APPLICATION,
            title=f"{year}年度科技志愿服务“智惠行动”项目",
            defaults={**windows, "notice_working_days": 5, "contacts": DEMO_CONTACTS},
        )
        Round.objects.get_or_create(
            year=year,
            kind=RoundKind.SELECTION,
            title=f"{year}年度科技志愿服务“四个十佳”选树",
            defaults={**windows, "notice_working_days": 5, "contacts": DEMO_CONTACTS},
        )
        for term, category, severity, exceptions in DEMO_TERMS:
            SensitiveTerm.objects.get_or_create(
                term=term, defaults={"category": category, "severity": severity, "exceptions": exceptions}
            )

        if with_records:
            filled = 0
            for label, seeder in seeders().items():
                created = seeder()
                filled += created
                self.stdout.write(f"  {label}：演示记录 {created} 条（demo records: {created}）")
            self.stdout.write(f"演示记录：{filled} 条（demo records: {filled}）")

        self.stdout.write(
            "演示数据已就绪（demo data ready）。登录 http://127.0.0.1:8000/login/ ，"
            f"用户名如 applicant_csf_br1、reviewer_csf、cast_staff，密码 {password}"
        )

"""Four Top-Ten nominations at scale: every state of the flow, over the organizations.

Kept by the plan as the services would: each recommending unit's recommendations per
category within the round's quota (set from the plan); the eligibility rules as the round's
thresholds judge them (the ineligible miss one, everyone else passes them all, past winners
included); the shortlisted, on notice, awarded and disqualified score above everyone else of
their category, and their number is the round's winners per category (beyond 1,000, the
maximum, a reason is given, as ``shortlist`` then requires); a disqualification follows an
upheld objection filed during the notice period; certificate numbers run in award order.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation

from accounts.models import Role
from nominations.flows import NO_VIOLATION_STATEMENT, NominationState
from nominations.models import Nomination
from workflows.models import CheckpointStage, Round
from workflows.numbering import reserve_in_year

from . import texts
from .common import Seeder, client_address, plan_paths

S = NominationState
STATE_WEIGHTS = {
    S.DRAFT: 8,
    S.SUBMITTED: 15,
    S.RETURNED: 5,
    S.WITHDRAWN: 3,
    S.NOT_RECOMMENDED: 7,
    S.RECOMMENDED: 12,
    S.INELIGIBLE: 5,
    S.EXPERT_REVIEW: 12,
    S.NOT_SELECTED: 13,
    S.SHORTLISTED: 5,
    S.PUBLIC_NOTICE: 5,
    S.AWARDED: 8,
    S.DISQUALIFIED: 2,
}
VARIANTS = {
    S.SUBMITTED: {"submitted": 4, "resubmitted": 1},
    S.WITHDRAWN: {"withdrawn_draft": 1, "withdrawn_submitted": 2},
}
NEVER_SUBMITTED = {"draft", "withdrawn_draft"}
RECOMMEND_PATHS = {
    "recommended",
    "ineligible",
    "expert_review",
    "not_selected",
    "shortlisted",
    "public_notice",
    "awarded",
    "disqualified",
}
EXPERT_PATHS = {"expert_review", "not_selected", "shortlisted", "public_notice", "awarded", "disqualified"}
SELECTED_PATHS = {"shortlisted", "public_notice", "awarded", "disqualified"}
CATEGORIES = ("volunteer", "team", "project", "site")
# Each path's last save of the record: the phase and the step in it (see applications.LAST_SAVE).
LAST_SAVE = {
    "draft": ("create", 0),
    "submitted": ("submit", 0),
    "resubmitted": ("revise", 1),
    "returned": ("recommender", 0),
    "withdrawn_draft": ("recommender", 0),
    "withdrawn_submitted": ("recommender", 0),
    "not_recommended": ("recommender", 0),
    "recommended": ("recommender", 2),
    "ineligible": ("formal", 0),
    "expert_review": ("formal", 0),
    "not_selected": ("decide", 0),
    "shortlisted": ("decide", 1),
    "public_notice": ("notice", 0),
    "awarded": ("finish", 0),
    "disqualified": ("objection", 2),
}
OPINIONS = {
    "return_for_revision": ("主要事迹缺少服务时长和受益人数的佐证，请补充后重新提交。", "请补充近两年的服务活动记录。"),
    "decline": ("被推荐对象事迹不够突出，不予推荐。", "服务活动以本职工作为主，不予推荐。"),
    "withdraw": ("经本单位研究，主动撤回推荐。",),
    "recommend": ("经审核，被推荐对象事迹真实、突出，同意推荐。", "经审核，服务成效显著，群众认可度高，同意推荐。"),
    "confirm_eligible": ("资格审查通过：推荐材料齐全，各项资格条件均满足。",),
    "declare_ineligible": ("经资格审查，服务时长未达到入选条件，资格审查不通过。",),
    "not_select": ("经专家评审，综合得分未进入本类别拟入选名额。",),
    "resubmit": ("已按推荐单位意见补充服务记录。",),
    "over_number": ("经评审委员会研究，该对象事迹特别突出，予以增补入选。",),
}
EXPERT_COMMENTS = (
    "事迹真实感人，服务成效有数据支撑，示范带动作用明显。",
    "服务持续时间长，覆盖面广，建议进一步总结可复制的经验。",
    "创新性一般，但扎根基层、长期坚持，社会反响良好。",
)
OBJECTION = (
    "被推荐对象申报的服务时长中有相当部分属于本职工作，不应计为科技志愿服务时长，请予核实。",
    "经核查相关记录，被推荐对象申报的服务时长与本职工作重复计算，扣除后不符合入选条件，异议成立，取消其入选资格。",
)


@dataclass(eq=False)
class Plan:
    i: int
    state: str
    path: str
    category: str
    org: Any
    unit: Any = None
    pk: int = 0
    cur: str = S.DRAFT
    rev_hash: str = ""
    revisions: int = 0
    findings: list = field(default_factory=list)
    applicant: Any = None
    reviewer: Any = None
    content_reviewer: Any = None
    staff: Any = None
    content_cast: Any = None
    experts: tuple = ()
    scored: int = 0
    level: int = 0
    snapshots: list = field(default_factory=list)
    name: str = ""
    deeds: str = ""
    eligibility: list = field(default_factory=list)
    shortlist_reason: str = ""
    certificate_number: str | None = None
    entry: Any = None
    updated_at: Any = None  # as the row was inserted
    saved_at: Any = None  # the time of its last save so far (creation, a transition, an edit)


class NominationSeeder(Seeder):
    label = Nomination.record_type()
    half = 1

    def plan(self, m: int, *, states: set[str] | None, seed: int) -> dict[str, int]:
        rng = random.Random(f"{seed}:nominations")
        weights = {s: (w if states is None or s in states else 0) for s, w in STATE_WEIGHTS.items()}
        rows, per_state = plan_paths(m, weights, VARIANTS, rng)
        while len(self.tree.applicants) < max(8, m // 4):
            self.tree.new_applicant("grassroots" if len(self.tree.applicants) % 3 else "civilization_centre")
        orgs = self.tree.applicants
        self.plans = []
        for i, (state, path) in enumerate(rows):
            org = orgs[(i * 7 + i // len(orgs)) % len(orgs)]
            self.plans.append(Plan(i, state, path, CATEGORIES[rng.randrange(4)], org, unit=org.unit))
        return per_state

    def needs(self) -> dict[str, Any]:
        recommends: dict[tuple[int, str], int] = {}
        selected = dict.fromkeys(CATEGORIES, 0)
        for p in self.plans:
            if p.path in RECOMMEND_PATHS:
                key = (id(p.unit), p.category)
                recommends[key] = recommends.get(key, 0) + 1
            if p.path in SELECTED_PATHS:
                selected[p.category] += 1
        most = max([0, *recommends.values()])
        return {
            "quota_per_category": min(1000, max(2, most + most // 2 + 2)),
            "winners_per_category": {c: min(1000, max(1, n)) for c, n in selected.items()},
            "_over_quota": most > 1000,
        }

    def experts_needed(self) -> int:
        return sum(3 for p in self.plans if p.path in EXPERT_PATHS)

    # -- people and content ---------------------------------------------------------------

    def cast(self) -> None:
        tree, year = self.tree, self.round.year
        experts = tree.experts
        settings = self.round.typed_settings
        past = _past_winners(self.round, settings.past_winner_years)
        # Numbers run on per year across the year's rounds: continue after those already issued.
        awarded = (
            reserve_in_year(
                Nomination,
                "certificate_number",
                year=self.round.year,
                kind=self.round.kind,
                count=sum(1 for p in self.plans if p.path == "awarded"),
            )
            - 1
        )
        shortlisted = dict.fromkeys(CATEGORIES, 0)
        for p in self.plans:
            rng = random.Random(f"nom:{self.round.pk}:{p.i}")
            p.applicant = p.org.users[Role.APPLICANT][0]
            p.reviewer = p.unit.users[Role.SOCIETY_REVIEWER][p.i % 2]
            p.content_reviewer = p.unit.users[Role.CONTENT_REVIEWER][0]
            p.staff = tree.cast_staff[p.i % len(tree.cast_staff)]
            p.content_cast = tree.cast_content[p.i % len(tree.cast_content)]
            p.name = self._name(rng, p)
            while (p.category, p.name) in past:
                p.name = self._name(rng, p)
            if p.path in EXPERT_PATHS:
                start = (p.i * 3 + 1) % len(experts)
                p.experts = tuple(experts[(start + k) % len(experts)] for k in range(3))
                p.scored = (p.i % 4) if p.path == "expert_review" else 3
                p.level = 90 if p.path in SELECTED_PATHS else 70
            if p.path in SELECTED_PATHS:
                shortlisted[p.category] += 1
                if shortlisted[p.category] > settings.winners_per_category.get(p.category, 10):
                    p.shortlist_reason = OPINIONS["over_number"][0]
            if p.path == "awarded":
                awarded += 1
                p.certificate_number = f"科志〔{year}〕{awarded:03d}号"

    def _name(self, rng: random.Random, p: Plan) -> str:
        place = p.org.region[2] or p.org.region[1]
        if p.category == "volunteer":
            return texts.person(rng)
        topic = rng.choice(texts.TOPICS["grassroots"] + texts.TOPICS["civilization_centre"])
        if p.category == "site":
            return (
                f"{place}{texts.place_name(rng, rng.choice(('村', '社区')))}{rng.choice(texts.CATEGORY_NOUNS['site'])}"
            )
        return f"{place}{topic}{rng.choice(texts.CATEGORY_NOUNS[p.category])}"

    # -- the records ----------------------------------------------------------------------

    def write_records(self, files: dict[str, Any], batch: int) -> None:
        self.files = files
        phase = self.phase("create", len(self.plans), self.half)
        last = {name: self.phase(name, len(self.plans), self.half) for name, _j in LAST_SAVE.values()}
        recommender = self.phase("recommender", len(self.plans), self.half)
        for start in range(0, len(self.plans), batch):
            chunk = self.plans[start : start + batch]
            objs = []
            for p in chunk:
                obj = self._form(p, recommender)
                obj.created_at = phase.at(p.i)
                name, j = LAST_SAVE[p.path]
                obj.updated_at = p.updated_at = last[name].at(p.i, j)
                objs.append(obj)
            self.rows.insert(Nomination, objs)
            for p, obj in zip(chunk, objs, strict=True):
                p.pk = obj.pk
                self.create(p, phase.at(p.i), {"category": p.category, "nominee": p.name})
                for j, (f, original) in enumerate(self._attachments(p)):
                    self.attach(p, phase.at(p.i, j + 1), f, original, "applicant")

    def _attachments(self, p: Plan) -> list[tuple[Any, str]]:
        photos = [(self.files[f"photo{k}"], f"服务照片{k + 1}.jpg") for k in range(3)]
        if p.path == "draft":
            return photos[:1]
        extra = [(self.files["id_photo"], f"{p.name}二寸照.jpg")] if p.category == "volunteer" else []
        return [*photos, *extra, (self.files["unit_opinion"], "申报单位意见（盖章）.pdf")]

    def _form(self, p: Plan, recommender: Any) -> Nomination:
        rng = random.Random(f"nom-form:{self.round.pk}:{p.i}")
        year = self.round.year
        province, city, county = p.org.region
        settings = self.round.typed_settings
        rules = settings.thresholds.get(p.category, {})
        fields: dict[str, Any] = {"nominee_name": p.name}
        people = None
        if p.category == "volunteer":
            fields.update(
                gender=rng.choice(("male", "female")),
                birth_date=texts.birth_date(rng, year),
                person_org=p.org.name,
                person_title=rng.choice(texts.PERSON_TITLES),
                volunteer_number=f"{rng.randint(10**9, 10**10 - 1)}",
            )
        elif p.category == "team":
            people = rng.randint(25, 160)
            fields.update(
                founded_on=dt.date(year - rng.randint(2, 12), rng.randint(1, 12), 1), registered_volunteers=people
            )
        elif p.category == "project":
            fields.update(
                period_start=dt.date(year - rng.randint(1, 4), 3, 1),
                period_end=dt.date(year, 10, 31),
                organizer=p.org.name,
            )
        else:
            fields.update(site_region=f"{province}{city}{county}", site_kind="社区" if "社区" in p.name else "村")
        complete = p.path != "draft"
        if complete:
            hours = max(rules.get("min_hours", 0), (people or 1) * rules.get("min_hours_per_person", 0)) + rng.randint(
                50, 2000
            )
            if p.path == "ineligible":
                hours = max(1, rules.get("min_hours", 20) // 2)
            activities = rules.get("min_activities", 10) + rng.randint(5, 200)
            unit_date = timezone.localdate(self.phase("create", len(self.plans), self.half).at(p.i))
            fields.update(
                activities=activities,
                service_hours=Decimal(hours).quantize(Decimal("0.1")),
                deeds=texts.deeds_text(
                    rng,
                    nominee=p.name,
                    category=p.category,
                    county=county or city,
                    years=rng.randint(3, 15),
                    hours=hours,
                ),
                contact_name=texts.person(rng),
                contact_phone=texts.mobile(rng),
                unit_opinion="经本单位审核，推荐材料真实准确，被推荐对象事迹突出，同意推荐。",
                unit_opinion_signer=texts.person(rng),
                unit_opinion_date=unit_date,
            )
            p.eligibility = self._eligibility(p, fields, settings)
        if p.path not in NEVER_SUBMITTED:
            attachments = [[f.kind, f.sha256] for f, _original in self._attachments(p)]
            p.snapshots.append((_snapshot(p.category, fields, attachments), self.scan(_scan_pairs(fields))))
            if p.path == "resubmitted":
                fields["deeds"] += "\n近两年服务记录已在科技志愿服务平台登记，可供查验。"
                p.snapshots.append((_snapshot(p.category, fields, attachments), self.scan(_scan_pairs(fields))))
        final_hash = ""
        if p.snapshots:
            from workflows.services import content_hash

            final_hash = content_hash(p.snapshots[-1][0])
        extra: dict[str, Any] = {}
        if p.path in RECOMMEND_PATHS:
            opinion = self._recommend_opinion(p)
            extra.update(
                recommender_opinion=opinion,
                recommender_signer=p.reviewer.display_name or p.reviewer.username,
                recommender_date=timezone.localdate(recommender.at(p.i, 2)),
            )
        if p.shortlist_reason:
            extra["shortlist_reason"] = p.shortlist_reason
        if p.path == "awarded":
            extra.update(
                certificate_number=p.certificate_number,
                cast_opinion="公示期满，予以公布。",
                cast_signer=p.staff.display_name or p.staff.username,
            )
        p.deeds = fields.get("deeds", "")
        return Nomination(
            round=self.round,
            organization_id=p.org.pk,
            recommending_unit_id=p.unit.pk,
            created_by=p.applicant,
            state=p.state,
            current_revision_hash=final_hash,
            category=p.category,
            **fields,
            **extra,
        )

    def _recommend_opinion(self, p: Plan) -> str:
        base = OPINIONS["recommend"][p.i % len(OPINIONS["recommend"])]
        return f"{base}经了解，被推荐对象{NO_VIOLATION_STATEMENT}。"

    def _eligibility(self, p: Plan, fields: dict[str, Any], settings: Any) -> list[dict[str, Any]]:
        """``nominations.checks.eligibility_report`` of the form: (rule, passed) in its order."""
        rules = settings.thresholds.get(p.category, {})
        hours = fields.get("service_hours") or Decimal(0)
        activities = fields.get("activities") or 0
        rows = []
        if p.category == "volunteer":
            rows.append(("registered", bool(fields.get("volunteer_number"))))
        people = fields.get("registered_volunteers") or 0
        if "min_registered_volunteers" in rules:
            rows.append(("min_registered_volunteers", people >= rules["min_registered_volunteers"]))
        if "min_activities" in rules:
            rows.append(("min_activities", activities >= rules["min_activities"]))
        if "min_hours_per_person" in rules:
            per_person = (hours / people).quantize(Decimal("0.1")) if people else Decimal(0)
            rows.append(("min_hours_per_person", per_person >= rules["min_hours_per_person"]))
        if "min_hours" in rules:
            rows.append(("min_hours", hours >= rules["min_hours"]))
        if settings.past_winner_years:
            rows.append(("past_winner", True))  # names that won recently were drawn again
        return [{"rule": rule, "passed": passed} for rule, passed in rows]

    def public_record(self, p: Plan) -> Nomination:
        return Nomination(nominee_name=p.name, category=p.category, deeds=p.deeds, organization=p.org.obj)

    # -- the history ----------------------------------------------------------------------

    def step_submit(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("submit", n, self.half)
        for p in plans:
            if p.path not in NEVER_SUBMITTED:
                snapshot, findings = p.snapshots[0]
                self.submit(p, phase.at(p.i), "submit", snapshot, findings)

    def step_recommender(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("recommender", n, self.half)
        for p in plans:
            at = lambda j, p=p: phase.at(p.i, j)  # noqa: E731
            pick = p.i % 2
            if p.path in ("returned", "resubmitted"):
                self.move(
                    p, at(0), "return_for_revision", S.RETURNED, "reviewer", OPINIONS["return_for_revision"][pick]
                )
            elif p.path == "not_recommended":
                self.move(p, at(0), "decline", S.NOT_RECOMMENDED, "reviewer", OPINIONS["decline"][pick])
            elif p.path in ("withdrawn_submitted", "withdrawn_draft"):
                self.move(p, at(0), "withdraw", S.WITHDRAWN, "applicant", OPINIONS["withdraw"][0])
            elif p.path in RECOMMEND_PATHS:
                self.checkpoint(
                    p, at(0), CheckpointStage.RECOMMENDER, "经审核，推荐材料导向正确，事迹真实，可以公开宣传。"
                )
                self.attach(p, at(1), self.files["recommender_opinion"], "推荐单位意见（盖章）.pdf", "reviewer")
                self.move(p, at(2), "recommend", S.RECOMMENDED, "reviewer", self._recommend_opinion(p))

    def step_revise(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("revise", n, self.half)
        for p in plans:
            if p.path == "resubmitted":
                self.edit(p, phase.at(p.i), ["deeds"])
                snapshot, findings = p.snapshots[1]
                self.submit(p, phase.at(p.i, 1), "resubmit", snapshot, findings, OPINIONS["resubmit"][0])
            p.snapshots = []

    def step_formal(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("formal", n, self.half)
        for p in plans:
            if p.path == "ineligible":
                self.move(
                    p, phase.at(p.i), "declare_ineligible", S.INELIGIBLE, "staff", OPINIONS["declare_ineligible"][0]
                )
            elif p.path in EXPERT_PATHS:
                self.move(
                    p,
                    phase.at(p.i),
                    "confirm_eligible",
                    S.EXPERT_REVIEW,
                    "staff",
                    OPINIONS["confirm_eligible"][0],
                    {"eligibility": p.eligibility},
                )

    def step_assign(self) -> None:
        n, plans = len(self.plans), self.plans
        assign = self.phase("assign", n, self.half)
        scoring = self.phase("score", n, self.half)
        for p in plans:
            for k, expert in enumerate(p.experts):
                done_at = scoring.at(p.i, k) if k < p.scored else None
                due = timezone.localdate(assign.at(p.i)) + dt.timedelta(days=35)
                self.assign(p, assign.at(p.i, k), expert, due, done_at)

    def step_score(self) -> None:
        n, plans = len(self.plans), self.plans
        scoring = self.phase("score", n, self.half)
        criteria = self.round.typed_settings.criteria
        for p in plans:
            rng = random.Random(f"nom-s:{p.i}")
            for k, expert in enumerate(p.experts[: p.scored]):
                self.score(p, scoring.at(p.i, k), expert, criteria[p.category], p.level, EXPERT_COMMENTS[k], rng)

    def step_decide(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("decide", n, self.half)
        agreed = [p for p in plans if p.path in SELECTED_PATHS]
        meeting = self.decision_meeting(agreed, phase.start, f"{self.round.title}审定专题会")
        for p in plans:
            if p.path == "not_selected":
                self.move(p, phase.at(p.i), "not_select", S.NOT_SELECTED, "staff", OPINIONS["not_select"][0])
            elif p.path in SELECTED_PATHS:
                self.checkpoint(p, phase.at(p.i), CheckpointStage.CAST, "事迹材料导向正确、真实可信，适合公开宣传。")
                data = {"decision_meeting": {**meeting, "amount": None}}
                self.move(p, phase.at(p.i, 1), "shortlist", S.SHORTLISTED, "staff", p.shortlist_reason, data)

    def step_notice(self) -> None:
        plans = self.plans
        titles = (
            "{year}年度科技志愿服务“四个十佳”拟入选名单公示（第{n}批）",
            "经各推荐单位推荐、资格审查和专家评审，拟确定以下对象入选，现予公示。公示期内，任何单位和个人如有"
            "异议，请以书面形式实名提出，并提供必要的证明材料。",
        )
        closed = [p for p in plans if p.path in ("awarded", "disqualified")]
        groups = [(closed, True), ([p for p in plans if p.path == "public_notice"], False)]
        self.notices(
            groups,
            titles,
            {
                "publish": "publish_notice",
                "review_opinion": "公示名单内容准确，不含联系电话、身份证件号码等个人信息，同意发布。",
            },
        )

    def step_finish(self) -> None:
        awarded: list[Nomination] = []

        def stamp(p: Plan, at: dt.datetime) -> dict[str, str]:
            awarded.append(Nomination(pk=p.pk, awarded_at=at, cast_date=timezone.localdate(at), updated_at=at))
            p.updated_at = at
            return {"certificate_number": p.certificate_number}

        self.finish_notices("award", S.AWARDED, "公示期满，予以公布。", stamp)
        Nomination.objects.bulk_update(awarded, ["awarded_at", "cast_date", "updated_at"], batch_size=self.rows.batch)
        self.settle_updated_at(Nomination)

    def step_objection(self) -> None:
        """An objection filed against each disqualified record during its notice, upheld."""
        from notices.models import Objection, ObjectionStatus
        from notices.services import REFERENCE_ALPHABET

        out = [p for p in self.plans if p.path == "disqualified"]
        phase = self.phase("objection", len(self.plans), self.half)
        taken = set(Objection.objects.values_list("reference", flat=True))
        rng = random.Random(f"objections:{self.round.pk}")
        for p in out:
            filed_at = phase.at(p.i)
            reference = ""
            while not reference or reference in taken:
                reference = f"YY{timezone.localdate(filed_at).year}-" + "".join(
                    rng.choice(REFERENCE_ALPHABET) for _k in range(6)
                )
            taken.add(reference)
            ip = f"203.0.113.{p.i % 250 + 1}"
            decided_at = phase.at(p.i, 1)
            self.rows.add(
                Objection,
                notice=p.entry.notice,
                entry=p.entry,
                reference=reference,
                objector_name=texts.person(rng),
                identity="当地居民",
                unit=f"{p.org.region[2] or p.org.region[1]}某合作社",
                phone=texts.mobile(rng),
                email="",
                content=OBJECTION[0],
                channel="online",
                received_on=timezone.localdate(filed_at),
                status=ObjectionStatus.UPHELD,
                decision_reason=OBJECTION[1],
                decided_by=p.staff,
                decided_at=decided_at,
                client_ip=ip,
                created_at=filed_at,
            )
            self.event(p, filed_at, "objection_filed", None, "", "", data={"reference": reference}, client_ip=ip)
            self.event(
                p,
                decided_at,
                "objection_upheld",
                p.staff,
                self.cast_code,
                Role.CAST_STAFF,
                opinion=OBJECTION[1],
                data={"reference": reference},
                client_ip=client_address(p.staff),
            )
            self.move(p, phase.at(p.i, 2), "disqualify", S.DISQUALIFIED, "staff", OBJECTION[1])


def _past_winners(round_: Round, years: int) -> set[tuple[str, str]]:
    if not years:
        return set()
    return set(
        Nomination.objects.filter(
            state="awarded", round__year__gte=round_.year - years, round__year__lt=round_.year
        ).values_list("category", "nominee_name")
    )


def _snapshot(category: str, fields: dict[str, Any], attachments: list) -> dict[str, Any]:
    """``Nomination.content_snapshot`` of the form as it stands (the tests compare them)."""
    data: dict[str, Any] = {name: fields.get(name, "") for name in Nomination.content_fields}
    data["category"] = category
    for name in ("gender", "volunteer_number", "contact_name", "contact_phone", "unit_opinion_signer", "site_kind"):
        data[name] = fields.get(name, "")
    for name in ("registered_volunteers", "activities"):
        data[name] = fields.get(name)
    for name in ("birth_date", "founded_on", "period_start", "period_end", "unit_opinion_date"):
        value = fields.get(name)
        data[name] = value.isoformat() if value else None
    hours = fields.get("service_hours")
    data["service_hours"] = str(hours) if hours is not None else None
    data["attachments"] = sorted(attachments)
    return data


def _scan_pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """``Nomination.scan_text`` of the form as it stands."""
    labels = _labels(translation.get_language() or "")
    return [(labels[name], str(fields.get(name) or "")) for name in Nomination.content_fields]


@functools.cache
def _labels(language: str) -> dict[str, str]:
    return {name: str(Nomination._meta.get_field(name).verbose_name) for name in Nomination.content_fields}

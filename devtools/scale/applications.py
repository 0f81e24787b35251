"""Zhihui Action applications at scale: every state of the flow, over many organizations.

The invariants the real services enforce are kept by the plan: an organization has at most
one application per sub-project that was ever submitted in the round (多头申报: a live one
blocks another submission), names are unique in the round, the sub-project fits the
organization's type (pilot counties for the civilization centres), budgets add up to the
requested amount, funding never exceeds it, each recommending unit's recommendations per
sub-project stay within the round's quota (set from the plan), three experts score before a
proposal, approval numbers run 001, 002 … in the order of issue.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from applications.flows import ApplicationState
from applications.models import Application, BudgetLine, TeamMember
from applications.sections import LEVEL2, category_of_text, scan_pairs
from devtools.demo.applications import DEMO_COMMON, DEMO_SECTIONS, _performance, _schedule
from workflows.models import CheckpointStage
from workflows.numbering import reserve_in_year

from . import texts
from .common import Seeder, plan_paths

S = ApplicationState
STATE_WEIGHTS = {
    S.DRAFT: 8,
    S.SUBMITTED: 20,
    S.RETURNED: 5,
    S.WITHDRAWN: 3,
    S.NOT_RECOMMENDED: 7,
    S.RECOMMENDED: 15,
    S.REJECTED: 7,
    S.EXPERT_REVIEW: 12,
    S.PROPOSED: 5,
    S.PUBLIC_NOTICE: 8,
    S.APPROVED: 10,
}
VARIANTS = {
    S.DRAFT: {"draft_incomplete": 1, "draft": 1},
    S.SUBMITTED: {"submitted": 4, "resubmitted": 1},
    S.RETURNED: {"returned": 3, "returned_cast": 1},
    S.WITHDRAWN: {"withdrawn_draft": 3, "withdrawn_submitted": 4, "withdrawn_returned": 3},
    S.REJECTED: {"rejected_formal": 1, "rejected_expert": 1},
}
NEVER_SUBMITTED = {"draft_incomplete", "draft", "withdrawn_draft"}
RECOMMEND_PATHS = {
    "returned_cast",
    "recommended",
    "rejected_formal",
    "expert_review",
    "rejected_expert",
    "proposed",
    "public_notice",
    "approved",
}
EXPERT_PATHS = {"expert_review", "rejected_expert", "proposed", "public_notice", "approved"}
SUBPROJECT_WEIGHTS = (("grassroots", 62), ("civilization_centre", 33), ("integrate", 5))
# Each path's last save of the record (its last transition, or its creation): the phase and the
# step in it (``Phase.at``). The row is inserted with that time as its updated_at, which is what
# ``transition`` leaves; a notice publishes its records at times of its own clock, so those rows
# are put right at the end (``Seeder.settle_updated_at``), as are the issued ones.
LAST_SAVE = {
    "draft_incomplete": ("create", 0),
    "draft": ("create", 0),
    "submitted": ("submit", 0),
    "resubmitted": ("revise", 1),
    "returned": ("recommender", 0),
    "returned_cast": ("formal", 0),
    "withdrawn_draft": ("recommender", 0),
    "withdrawn_submitted": ("recommender", 0),
    "withdrawn_returned": ("revise", 0),
    "not_recommended": ("recommender", 0),
    "recommended": ("recommender", 2),
    "rejected_formal": ("formal", 0),
    "expert_review": ("formal", 0),
    "rejected_expert": ("decide", 0),
    "proposed": ("decide", 1),
    "public_notice": ("notice", 0),
    "approved": ("finish", 0),
}

OPINIONS = {
    "return_for_revision": (
        "绩效目标不够具体：请量化培训人次、服务对象和满意度指标后重新提交。",
        "预算中部分费用缺少测算依据，请细化后重新提交。",
        "请补充与服务地区乡镇、村（社区）的对接安排和志愿者名单。",
    ),
    "decline": (
        "项目以常规业务培训为主，科技志愿服务内容不足，不予推荐。",
        "服务地区和服务对象与子项目申报要求不符，不予推荐。",
    ),
    "recommend": (
        "经审核，材料真实完整，同意推荐。",
        "项目面向基层一线，绩效目标具体，经费测算合理，同意推荐。",
        "团队服务经验丰富，与当地需求结合紧密，同意推荐。",
    ),
    "withdraw": ("经本单位研究，项目服务内容需重新论证，主动撤回。", "与本单位其他项目服务对象重叠，主动撤回。"),
    "return_from_formal_review": ("经形式审查，缺少主管单位盖章意见，请补充后重新提交。",),
    "reject_formal_review": ("经形式审查，项目不符合本子项目申报条件，不予通过。",),
    "pass_formal_review": ("形式审查通过：材料齐全，无多头申报，进入专家评审。",),
    "reject": ("经专家评审，综合得分较低，不予立项。",),
    "resubmit": ("已按推荐单位意见量化绩效目标并细化预算。",),
}
CHECKPOINT_OPINIONS = {
    CheckpointStage.RECOMMENDER: "经审核，申报内容导向正确、真实合法，同意提交推荐。",
    CheckpointStage.CAST: "内容导向正确，绩效目标真实可考核，同意拟立项。",
}
EXPERT_COMMENTS = (
    "立足基层实际，绩效目标具体可考核，建议立项。",
    "技术路线成熟，团队经验丰富；差旅费偏高，建议适当压缩。",
    "示范带动作用明显，增收目标可量化。",
    "服务对象明确，但实施计划偏粗，建议细化。",
)


@dataclass(eq=False)
class Plan:
    i: int
    state: str
    path: str
    sub: Any
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
    snapshots: list = field(default_factory=list)  # [(snapshot, findings)] for each submission
    name: str = ""
    requested: Decimal | None = None
    funding: Decimal | None = None
    approval_number: str | None = None
    entry: Any = None
    updated_at: Any = None  # as the row was inserted
    saved_at: Any = None  # the time of its last save so far (creation, a transition, an edit)


class ApplicationSeeder(Seeder):
    label = Application.record_type()
    half = 0

    def plan(self, n: int, *, states: set[str] | None, seed: int) -> dict[str, int]:
        rng = random.Random(f"{seed}:applications")
        weights = {s: (w if states is None or s in states else 0) for s, w in STATE_WEIGHTS.items()}
        rows, per_state = plan_paths(n, weights, VARIANTS, rng)
        subprojects = {s.code: s for s in self.round.subprojects.all()}
        used: dict[str, list[Any]] = {code: [] for code in subprojects}
        turn: dict[str, int] = dict.fromkeys(subprojects, 0)
        codes, sub_weights = zip(*SUBPROJECT_WEIGHTS, strict=True)
        self.plans: list[Plan] = []
        for i, (state, path) in enumerate(rows):
            code = rng.choices(codes, sub_weights)[0]
            live = path not in NEVER_SUBMITTED
            org = self._allocate(code, live, used, turn)
            if org is None:  # no reviewing unit left for “integrate”
                code = "grassroots"
                org = self._allocate(code, live, used, turn)
            self.plans.append(Plan(i, state, path, subprojects[code], org, unit=org.unit))
        return per_state

    def _allocate(self, code: str, live: bool, used: dict[str, list[Any]], turn: dict[str, int]) -> Any:
        free = self.tree.free[code]
        if not live and used[code]:
            turn[code] += 1
            return used[code][turn[code] % len(used[code])]
        org = free.popleft() if free else self.tree.new_applicant(code)
        if org is None:
            return None
        if live:
            used[code].append(org)
        else:
            free.appendleft(org)  # a draft does not take the unit's place for a live application
        return org

    def needs(self) -> dict[str, int]:
        """The round settings the plan needs: every recommendation made within the quota."""
        recommends: dict[tuple[int, int], int] = {}
        for p in self.plans:
            if p.path in RECOMMEND_PATHS:
                key = (id(p.unit), p.sub.pk)
                recommends[key] = recommends.get(key, 0) + 1
        # Headroom, as in a real round: the records still waiting can be recommended too.
        most = max([0, *recommends.values()])
        return {"recommender_quota": max(3, min(1000, most + most // 2 + 2)) if most <= 1000 else most}

    def experts_needed(self) -> int:
        return sum(3 for p in self.plans if p.path in EXPERT_PATHS)

    # -- people and content ---------------------------------------------------------------

    def cast(self) -> None:
        """Who acts on each record, and its form, in the round's order."""
        tree, year = self.tree, self.round.year
        experts = tree.experts
        names: set[str] = set()
        # Numbers run on per year across the year's rounds: continue after those already issued.
        approved = (
            reserve_in_year(
                Application,
                "approval_number",
                year=self.round.year,
                kind=self.round.kind,
                count=sum(1 for p in self.plans if p.path == "approved"),
            )
            - 1
        )
        for p in self.plans:
            rng = random.Random(f"app:{self.round.pk}:{p.i}")
            p.applicant = p.org.users[Role.APPLICANT][0]
            p.reviewer = p.unit.users[Role.SOCIETY_REVIEWER][p.i % 2]
            p.content_reviewer = p.unit.users[Role.CONTENT_REVIEWER][0]
            p.staff = tree.cast_staff[p.i % len(tree.cast_staff)]
            p.content_cast = tree.cast_content[p.i % len(tree.cast_content)]
            if p.path in EXPERT_PATHS:
                start = (p.i * 3) % len(experts)
                p.experts = tuple(experts[(start + k) % len(experts)] for k in range(3))
                p.scored = (p.i % 4) if p.path == "expert_review" else 3
                p.level = {"rejected_expert": 60, "expert_review": 78}.get(p.path, 88)
            p.name = self._unique_name(rng, p, names)
            if p.path == "approved":
                approved += 1
                p.approval_number = f"智惠〔{year}〕{approved:03d}号"

    def _unique_name(self, rng: random.Random, p: Plan, names: set[str]) -> str:
        place = p.org.region[2] or p.org.region[1]
        topics = list(texts.TOPICS[p.sub.code])
        forms = list(texts.FORMS)
        rng.shuffle(topics)
        rng.shuffle(forms)
        for topic in topics:
            for form in forms:
                name = f"{place}{topic}{form}"[:20]
                if name not in names:
                    names.add(name)
                    return name
        for extra in range(2, 100_000):
            name = f"{place}{topics[0]}{extra}期"[:20]
            if name not in names:
                names.add(name)
                return name
        raise ValueError("no unique application name left")

    # -- the records ----------------------------------------------------------------------

    def write_records(self, files: dict[str, Any], batch: int) -> None:
        """The application rows (in their final state), their team and budget; and the
        create phase of the history (create, the sealed form attached)."""
        phase = self.phase("create", len(self.plans), self.half)
        last = {name: self.phase(name, len(self.plans), self.half) for name, _j in LAST_SAVE.values()}
        self.files = files
        sealed = files["sealed_application"]
        for start in range(0, len(self.plans), batch):
            chunk = self.plans[start : start + batch]
            objs, teams, budgets = [], [], []
            for p in chunk:
                obj, team, budget = self._form(p, sealed)
                obj.created_at = phase.at(p.i)
                name, j = LAST_SAVE[p.path]
                obj.updated_at = p.updated_at = last[name].at(p.i, j)
                objs.append(obj)
                teams.append(team)
                budgets.append(budget)
            self.rows.insert(Application, objs)
            for p, obj, team, budget in zip(chunk, objs, teams, budgets, strict=True):
                p.pk = obj.pk
                for member in team:
                    self.rows.add(TeamMember, application_id=obj.pk, **member)
                for line in budget:
                    self.rows.add(BudgetLine, application_id=obj.pk, **line)
                at = phase.at(p.i)
                self.create(p, at, {"subproject": p.sub.code, "name": p.name})
                if p.path != "draft_incomplete":
                    self.attach(p, phase.at(p.i, 1), sealed, f"{p.name}申报书（盖章）.pdf", "applicant")

    def _form(self, p: Plan, sealed: Any) -> tuple[Application, list[dict], list[dict]]:
        rng = random.Random(f"app-form:{self.round.pk}:{p.i}")
        year = self.round.year
        province, city, county = p.org.region
        topic = next((t for t in texts.TOPICS[p.sub.code] if t in p.name), texts.TOPICS[p.sub.code][0])
        form = next((f for f in texts.FORMS if f in p.name), texts.FORMS[0])
        paragraphs = texts.application_texts(rng, topic=topic, form=form, county=county or city, province=province)
        leader = texts.person(rng)
        complete = p.path != "draft_incomplete"
        # The 绩效目标表 (its quantity indicator the generated targets), the sub-project's own
        # section and the common one, as the demo fills them; the free-text targets stay empty.
        targets = paragraphs.pop("targets", "")
        paragraphs["targets"] = ""
        requested = Decimal(rng.randint(40, 100) * 1000).quantize(Decimal("0.01")) if complete else None
        fields: dict[str, Any] = {
            "name": p.name,
            "leader_name": leader,
            "leader_title": f"{p.org.name[:40]}{rng.choice(texts.TITLES)}",
            "leader_phone": f"0{rng.randint(10, 999)}-{rng.randint(1000000, 9999999)}",
            "leader_mobile": texts.mobile(rng),
            "leader_email": f"leader{p.i}@{p.org.code.lower()}.example.org",
            "region_province": province,
            "region_city": city,
            "region_county": county,
            "pilot_county": p.org.pilot,
            "period_start": dt.date(year, 7, 1),
            "period_end": dt.date(year + 1, 6, 30),
            "requested_amount": requested,
            "commitment": complete,
            "commitment_signer": texts.person(rng) if complete else "",
            **paragraphs,
            "section": dict(DEMO_SECTIONS.get(p.sub.section_kind, {})) if complete else {},
            "common": dict(DEMO_COMMON) if complete else {},
            "schedule": _schedule(year) if complete else [],
            "performance": [{"level1": LEVEL2[r["level2"]][0], **r} for r in _performance(targets)],
        }
        team = [
            {
                "name": leader if k == 0 else texts.person(rng),
                "education": rng.choice(texts.EDUCATION),
                "qualification": rng.choice(texts.TITLES),
                "role": "项目负责人" if k == 0 else rng.choice(texts.TEAM_ROLES),
                "phone": texts.mobile(rng),
                "position": k,
            }
            for k in range(rng.randint(3, 5))
        ]
        budget = []
        if requested is not None:
            items = rng.sample(texts.BUDGET_ITEMS, rng.randint(3, 5))
            for k, ((item, note), amount) in enumerate(
                zip(items, texts.amount_split(rng, requested, len(items)), strict=True)
            ):
                budget.append(
                    {"category": category_of_text(item), "item": item, "amount": amount, "note": note, "position": k}
                )
        if p.path in ("proposed", "public_notice", "approved"):
            thousands = (requested * Decimal(rng.choice(("0.8", "0.9", "1"))) / 1000).quantize(Decimal("1"))
            p.funding = (thousands * 1000).quantize(Decimal("0.01"))
        p.requested = requested
        if p.path not in NEVER_SUBMITTED:
            snapshot = _snapshot(fields, p.sub, team, budget, [[sealed.kind, sealed.sha256]])
            p.snapshots.append((snapshot, self.scan(_scan_pairs(fields, p.sub, team, budget))))
            if p.path == "resubmitted":
                fields["performance"] = [
                    *fields["performance"],
                    {"level1": "effect", "level2": "sustainable", "name": "带动周边群众推广应用", "value": "≥95%"},
                ]
                snapshot = _snapshot(fields, p.sub, team, budget, [[sealed.kind, sealed.sha256]])
                p.snapshots.append((snapshot, self.scan(_scan_pairs(fields, p.sub, team, budget))))
        final_hash = ""
        if p.snapshots:
            from workflows.services import content_hash

            final_hash = content_hash(p.snapshots[-1][0])
        obj = Application(
            round=self.round,
            organization_id=p.org.pk,
            recommending_unit_id=p.unit.pk,
            created_by=p.applicant,
            state=p.state,
            current_revision_hash=final_hash,
            subproject=p.sub,
            funding_amount=p.funding,
            approval_number=p.approval_number,
            **fields,
        )
        return obj, team, budget

    def public_record(self, p: Plan) -> Application:
        """What ``public_summary`` reads, without a query."""
        app = Application(name=p.name, funding_amount=p.funding, organization=p.org.obj, subproject=p.sub)
        return app

    # -- the history, phase by phase ------------------------------------------------------

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
            rng = random.Random(f"app-h:{p.i}")
            at = lambda j, p=p: phase.at(p.i, j)  # noqa: E731
            if p.path in ("returned", "resubmitted", "withdrawn_returned"):
                self.move(
                    p, at(0), "return_for_revision", S.RETURNED, "reviewer", rng.choice(OPINIONS["return_for_revision"])
                )
            elif p.path == "not_recommended":
                self.move(p, at(0), "decline", S.NOT_RECOMMENDED, "reviewer", rng.choice(OPINIONS["decline"]))
            elif p.path in ("withdrawn_submitted", "withdrawn_draft"):
                self.move(p, at(0), "withdraw", S.WITHDRAWN, "applicant", rng.choice(OPINIONS["withdraw"]))
            elif p.path in RECOMMEND_PATHS:
                self.checkpoint(p, at(0), CheckpointStage.RECOMMENDER, CHECKPOINT_OPINIONS[CheckpointStage.RECOMMENDER])
                self.attach(p, at(1), self.files["recommender_opinion"], f"{p.name}推荐意见（盖章）.pdf", "reviewer")
                self.move(p, at(2), "recommend", S.RECOMMENDED, "reviewer", rng.choice(OPINIONS["recommend"]))

    def step_revise(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("revise", n, self.half)
        for p in plans:
            if p.path == "resubmitted":
                self.edit(p, phase.at(p.i), ["performance"])
                snapshot, findings = p.snapshots[1]
                self.submit(p, phase.at(p.i, 1), "resubmit", snapshot, findings, OPINIONS["resubmit"][0])
            elif p.path == "withdrawn_returned":
                self.move(p, phase.at(p.i), "withdraw", S.WITHDRAWN, "applicant", OPINIONS["withdraw"][0])
            p.snapshots = []

    def step_formal(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("formal", n, self.half)
        for p in plans:
            if p.path == "returned_cast":
                opinion = OPINIONS["return_from_formal_review"][0]
                self.move(p, phase.at(p.i), "return_from_formal_review", S.RETURNED, "staff", opinion)
            elif p.path == "rejected_formal":
                opinion = OPINIONS["reject_formal_review"][0]
                self.move(p, phase.at(p.i), "reject_formal_review", S.REJECTED, "staff", opinion)
            elif p.path in EXPERT_PATHS:
                opinion = OPINIONS["pass_formal_review"][0]
                self.move(p, phase.at(p.i), "pass_formal_review", S.EXPERT_REVIEW, "staff", opinion)

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
            rng = random.Random(f"app-s:{p.i}")
            for k, expert in enumerate(p.experts[: p.scored]):
                self.score(p, scoring.at(p.i, k), expert, criteria, p.level, EXPERT_COMMENTS[(p.i + k) % 4], rng)

    def step_decide(self) -> None:
        n, plans = len(self.plans), self.plans
        phase = self.phase("decide", n, self.half)
        agreed = [p for p in plans if p.path in ("proposed", "public_notice", "approved")]
        meeting = self.decision_meeting(agreed, phase.start, f"{self.round.title}审定专题会")
        for p in plans:
            if p.path == "rejected_expert":
                self.move(p, phase.at(p.i), "reject", S.REJECTED, "staff", OPINIONS["reject"][0])
            elif p.path in ("proposed", "public_notice", "approved"):
                self.checkpoint(p, phase.at(p.i), CheckpointStage.CAST, CHECKPOINT_OPINIONS[CheckpointStage.CAST])
                opinion = f"经专家评审和审定，拟予立项，拟资助金额 {p.funding:,.2f} 元。"
                data = {
                    "funding_amount": str(p.funding),
                    "decision_meeting": {**meeting, "amount": str(p.funding)},
                }
                self.move(p, phase.at(p.i, 1), "propose", S.PROPOSED, "staff", opinion, data)

    def step_notice(self) -> None:
        plans = self.plans
        titles = (
            "{year}年度科技志愿服务“智惠行动”拟立项项目公示（第{n}批）",
            "经各推荐单位推荐、形式审查和专家评审，拟对以下项目予以立项资助，现予公示。公示期内如有异议，"
            "请以书面形式实名提出。",
        )
        groups = [
            ([p for p in plans if p.path == "approved"], True),
            ([p for p in plans if p.path == "public_notice"], False),
        ]
        self.notices(
            groups,
            titles,
            {"publish": "publish_notice", "review_opinion": "公示名单内容准确，不含个人隐私信息，同意发布。"},
        )

    def step_finish(self) -> None:
        issued: list[Application] = []

        def stamp(p: Plan, at: dt.datetime) -> dict[str, str]:
            issued.append(Application(pk=p.pk, issued_at=at, updated_at=at))
            p.updated_at = at
            return {"approval_number": p.approval_number}

        self.finish_notices("issue", S.APPROVED, "公示期满，未收到异议，予以正式立项。", stamp)
        Application.objects.bulk_update(issued, ["issued_at", "updated_at"], batch_size=self.rows.batch)
        self.settle_updated_at(Application)


def _snapshot(fields: dict[str, Any], sub: Any, team: list, budget: list, attachments: list) -> dict[str, Any]:
    """``Application.content_snapshot`` of the form as it stands (the tests compare them)."""
    data = {name: fields[name] for name in Application.content_fields}
    data.update(
        {
            "subproject": sub.code,
            "leader_phone": fields["leader_phone"],
            "leader_mobile": fields["leader_mobile"],
            "leader_email": fields["leader_email"],
            "pilot_county": fields["pilot_county"],
            "period_start": fields["period_start"].isoformat(),
            "period_end": fields["period_end"].isoformat(),
            "requested_amount": str(fields["requested_amount"]) if fields["requested_amount"] is not None else None,
            "commitment": fields["commitment"],
            "commitment_signer": fields["commitment_signer"],
            "team": [{key: m[key] for key in ("name", "education", "qualification", "role", "phone")} for m in team],
            "budget": [
                {"category": b["category"], "item": b["item"], "amount": str(b["amount"]), "note": b["note"]}
                for b in budget
            ],
            "section_kind": sub.section_kind,
            "section": fields["section"],
            "common": fields["common"],
            "schedule": fields["schedule"],
            "performance": fields["performance"],
            "attachments": sorted(attachments),
        }
    )
    return data


def _scan_pairs(fields: dict[str, Any], sub: Any, team: list, budget: list) -> list[tuple[str, str]]:
    """``Application.scan_text`` of the form as it stands."""
    labels, team_label, budget_label = _labels()
    pairs = [(labels[name], str(fields[name] or "")) for name in Application.content_fields]
    pairs += [(team_label, f"{m['name']} {m['qualification']} {m['role']}") for m in team]
    pairs += [(budget_label, f"{b['item']} {b['note']}") for b in budget]
    pairs += scan_pairs(sub.section, fields["section"], fields["common"], fields["schedule"], fields["performance"])
    return pairs


@functools.cache
def _cached_labels(language: str) -> tuple[dict[str, str], str, str]:
    labels = {name: str(Application._meta.get_field(name).verbose_name) for name in Application.content_fields}
    return labels, str(_("团队成员")), str(_("预算"))


def _labels() -> tuple[dict[str, str], str, str]:
    """The field labels ``scan_text`` gives, in the active language (read once)."""
    return _cached_labels(translation.get_language() or "")

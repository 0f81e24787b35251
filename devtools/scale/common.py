"""What both flows' seeders share: the calendar, state counts, files, and the steps every
record takes (create, attach, submit, content review, transition, experts, public notice).

Each step writes the rows and the audit event that the real service writes for it
(``workflows.services.transition``, ``checkpoint_record``, ``assignment_create``,
``workflows.attachments.attachment_add``, the score services, ``notices.services``), with the
same actions, states, opinions and event data; only the way in is different (no locks, no
checks: the plan is made so that every check would pass, and the tests hold the seed to it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from workflows.calendar import notice_end, official_calendar
from workflows.models import Attachment, Checkpoint, CheckpointStage, ReviewAssignment, Revision, Verdict
from workflows.revision import DEFAULT_WORKING_DAYS
from workflows.scanner import current_scanner, scan_fields
from workflows.services import content_hash

from .bulk import Chain, Inserter, Phase

# The decision meeting's minutes (one stored file for every seeded meeting).
MINUTES_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The returns of the flows and who returns (workflows/revision.py).
RETURNS = {"return_for_revision": "recommender", "return_from_formal_review": "cast"}

DAY = dt.timedelta(days=1)

# The round's calendar, in days before now: (phase, starts, ends). Every window of the round
# is still open now, so each seeded record can take its next transition today.
CALENDAR = [
    ("create", 80, 68),
    ("submit", 68, 60),
    ("recommender", 60, 50),
    ("revise", 50, 45),
    ("formal", 45, 40),
    ("assign", 40, 38),
    ("score", 38, 28),
    ("decide", 28, 24),
    ("notice", 22, 21),
    ("objection", 17, 16),
    ("finish", 10, 9),
]
NOTICE_BATCH = 500  # records per public notice


def round_windows(now: dt.datetime) -> dict[str, dt.datetime]:
    return {
        "submission_opens": now - 81 * DAY,
        "submission_closes": now + 20 * DAY,
        "recommender_review_due": now + 40 * DAY,
        "cast_review_due": now + 70 * DAY,
    }


def client_address(user: Any) -> str:
    """The address a seeded user's requests come from (198.51.100.0/24, an address block for
    documentation). The API hands the services the client's address for each step a user takes
    through it — transitions, content reviews, expert assignments, the steps of a notice, an
    objection's decision — and the event keeps it (bound into its hash as a commitment); the
    services that take none (creating and editing a form, uploads, scores) leave it empty."""
    return f"198.51.100.{user.pk % 254 + 1}"


def exact_counts(total: int, weights: dict[str, float], *, every: bool) -> dict[str, int]:
    """Split ``total`` by ``weights`` (largest remainders); with ``every``, each key gets at
    least one when there are enough to go round."""
    keys = [k for k, w in weights.items() if w > 0]
    if not keys or total <= 0:
        return dict.fromkeys(weights, 0)
    weight_sum = sum(weights[k] for k in keys)
    floor_min = 1 if every and total >= len(keys) else 0
    counts = {k: max(floor_min, int(total * weights[k] / weight_sum)) for k in keys}
    while sum(counts.values()) > total:  # the minimums pushed it over: take from the largest
        biggest = max(keys, key=lambda k: counts[k])
        counts[biggest] -= 1
    remainders = sorted(keys, key=lambda k: -(total * weights[k] / weight_sum - int(total * weights[k] / weight_sum)))
    i = 0
    while sum(counts.values()) < total:
        counts[remainders[i % len(remainders)]] += 1
        i += 1
    return {k: counts.get(k, 0) for k in weights}


def plan_paths(total: int, states: dict[str, float], variants: dict[str, dict[str, float]], rng: random.Random):
    """[(state, path)] with exact counts per state and per path, in a shuffled order."""
    per_state = exact_counts(total, states, every=True)
    rows = []
    for state, count in per_state.items():
        for path, n in exact_counts(count, variants.get(state, {state: 1}), every=False).items():
            rows.extend([(state, path)] * n)
    rng.shuffle(rows)
    return rows, per_state


@dataclass(frozen=True)
class StoredFile:
    kind: str
    name: str  # storage name, shared by every seeded attachment of this kind
    size: int
    sha256: str
    content_type: str


def stored_file(kind: str, content: bytes, ext: str, content_type: str) -> StoredFile:
    """One file in storage that every seeded attachment of the kind points to."""
    digest = hashlib.sha256(content).hexdigest()
    name = f"attachments/seed_scale/{kind}-{digest[:12]}.{ext}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
    return StoredFile(kind, name, len(content), digest, content_type)


class Scan:
    """The sensitive-word scan of a text, as ``scan_fields`` gives it, cached by text (many
    seeded paragraphs repeat)."""

    def __init__(self) -> None:
        self.scanner = current_scanner()
        self.cache: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}

    def __call__(self, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        findings: list[dict[str, Any]] = []
        for pair in pairs:
            key = (pair,)
            found = self.cache.get(key)
            if found is None:
                found = scan_fields([pair], self.scanner)
                if len(self.cache) < 200_000:
                    self.cache[key] = found
            findings.extend(found)
        blocking = [f for f in findings if f["severity"] == "block"]
        if blocking:
            raise ValueError(f"seeded text contains a blocking term {blocking[0]['term']!r}: change the word lists")
        return findings


class Seeder:
    """Steps shared by the two flows. ``self.label`` is the record type; ``self.plans`` are
    the records in id order, each with ``pk``, ``cur`` (state while the history is written),
    ``rev_hash``, ``revisions``, ``findings``, ``org``, ``unit``, ``applicant``."""

    label: str
    half: int

    def __init__(self, *, chain: Chain, rows: Inserter, tree: Any, round_: Any, now: dt.datetime, scan: Scan):
        self.chain = chain
        self.rows = rows
        self.tree = tree
        self.round = round_
        self.now = now
        self.scan = scan
        self.cast_code = tree.root.code
        self.cast_id = tree.root.pk

    # -- calendar -------------------------------------------------------------------------

    def phase(self, name: str, n: int, half: int) -> Phase:
        """The phase's window for this flow: applications take the first half of every
        phase, nominations the second, so the two flows' events interleave in time order."""
        start_days, end_days = next((s, e) for p, s, e in CALENDAR if p == name)
        start, end = self.now - start_days * DAY, self.now - end_days * DAY
        middle = start + (end - start) / 2
        return Phase(start, middle, n) if half == 0 else Phase(middle, end, n)

    def step(self, name: str) -> Any:
        """The method writing this flow's part of the phase ``name`` (None when it has none)."""
        return getattr(self, f"step_{name}", None)

    def public_record(self, p: Any) -> Any:
        raise NotImplementedError

    # -- steps ----------------------------------------------------------------------------

    def event(self, p: Any, at: dt.datetime, action: str, actor: Any, org_code: str, role: str, **kw: Any) -> dict:
        return self.chain.append(
            at=at,
            record_type=self.label,
            record_id=p.pk,
            action=action,
            actor=actor,
            actor_org=org_code,
            actor_role=role,
            from_state=kw.pop("from_state", p.cur),
            to_state=kw.pop("to_state", p.cur),
            revision_hash=p.rev_hash,
            **kw,
        )

    def move(self, p: Any, at: dt.datetime, name: str, to_state: str, who: str, opinion: str = "", data=None) -> None:
        """A transition's audit event (``transition`` step 5), acting as ``who``: the
        applicant, the recommending unit's reviewer, or CAST staff."""
        actor, org_code, role = self.acting(p, who)
        data = dict(data or {})
        # A return's 补正期限 (workflows/revision.py), as the transition writes it: on the event
        # and, while open, on the record (``write_open_returns``); a resubmission closes it.
        if name in RETURNS:
            due = self.revision_calendar().add_working_days(
                timezone.localdate(at) + dt.timedelta(days=1), DEFAULT_WORKING_DAYS
            )
            data.update(revision_due=due.isoformat(), returned_by_stage=RETURNS[name])
            p.open_return = (due, RETURNS[name], opinion.strip())
        elif name == "resubmit" and getattr(p, "open_return", None):
            data = {"closed_due": p.open_return[0].isoformat(), **data}
            p.open_return = None
        self.event(
            p,
            at,
            name,
            actor,
            org_code,
            role,
            from_state=p.cur,
            to_state=to_state,
            opinion=opinion.strip(),
            data=data,
            client_ip=client_address(actor),
        )
        p.cur = to_state
        p.saved_at = at

    def decision_meeting(self, plans: list[Any], at: dt.datetime, name: str) -> dict[str, Any] | None:
        """审定: the round's decision meeting that agreed to ``plans`` — its row with the minutes,
        its items, and its own chain as ``workflows.decisions`` writes it (created, minutes
        uploaded, each record attached), at ``at``. Returns what the records' propose or
        shortlist event keeps of it (``decisions.decision_audit``); None without plans."""
        from workflows.models import Decision, DecisionItem, DecisionMeeting, MeetingKind

        if not plans:
            return None
        staff = plans[0].staff
        minutes = stored_file("decision_minutes", MINUTES_PDF, "pdf", "application/pdf")
        meeting = DecisionMeeting.objects.create(
            round=self.round,
            kind=MeetingKind.SPECIAL,
            name=name,
            held_on=timezone.localtime(at).date(),
            participants="中国科协书记处书记（主持）；科普部、农技中心、办公厅负责同志",
            minutes=minutes.name,
            minutes_name="审定会议纪要.pdf",
            minutes_size=minutes.size,
            minutes_sha256=minutes.sha256,
            minutes_uploaded_at=at,
            created_by=staff,
        )
        DecisionMeeting.objects.filter(pk=meeting.pk).update(created_at=at, updated_at=at)
        label = DecisionMeeting._meta.label_lower
        common = {
            "record_type": label,
            "record_id": meeting.pk,
            "actor": staff,
            "actor_org": self.cast_code,
            "actor_role": Role.CAST_STAFF,
            "client_ip": client_address(staff),
        }
        fields = {
            "round": self.round.pk,
            "kind": meeting.kind,
            "name": meeting.name,
            "held_on": meeting.held_on.isoformat(),
            "participants": meeting.participants,
        }
        self.chain.append(at=at, action="meeting_created", data={"changes": fields}, **common)
        uploaded = {"name": meeting.minutes_name, "size": minutes.size, "sha256": minutes.sha256}
        self.chain.append(at=at, action="minutes_uploaded", data={"minutes": uploaded}, **common)
        items = []
        for p in plans:
            amount = getattr(p, "funding", None)
            items.append(
                DecisionItem(
                    meeting=meeting,
                    record_type=self.label,
                    record_id=p.pk,
                    decision=Decision.APPROVE,
                    amount=amount,
                    added_by=staff,
                )
            )
            self.chain.append(
                at=at,
                action="record_attached",
                data={
                    "record_type": self.label,
                    "record_id": p.pk,
                    "decision": Decision.APPROVE,
                    "amount": str(amount) if amount is not None else None,
                },
                **common,
            )
        DecisionItem.objects.bulk_create(items)
        return {
            "id": meeting.pk,
            "kind": meeting.kind,
            "name": meeting.name,
            "held_on": meeting.held_on.isoformat(),
            "minutes_sha256": minutes.sha256,
            "decision": Decision.APPROVE,
        }

    def revision_calendar(self) -> Any:
        if getattr(self, "_calendar", None) is None:
            self._calendar = official_calendar()
        return self._calendar

    def write_open_returns(self) -> int:
        """The records whose last return is still open carry it (after every step: the record
        rows are written before the events). One UPDATE per (deadline, returner, opinion)."""
        from workflows.registry import get_record_model

        groups: dict[tuple[Any, str, str], list[int]] = {}
        for p in self.plans:
            if getattr(p, "open_return", None):
                groups.setdefault(p.open_return, []).append(p.pk)
        model = get_record_model(self.label)
        for (due, stage, opinion), pks in groups.items():
            model.objects.filter(pk__in=pks).update(revision_due=due, returned_by_stage=stage, return_opinion=opinion)
        return sum(len(pks) for pks in groups.values())

    def acting(self, p: Any, who: str) -> tuple[Any, str, str]:
        if who == "applicant":
            return p.applicant, p.org.code, Role.APPLICANT
        if who == "reviewer":
            return p.reviewer, p.unit.code, Role.SOCIETY_REVIEWER
        return p.staff, self.cast_code, Role.CAST_STAFF

    def create(self, p: Any, at: dt.datetime, data: dict[str, Any]) -> None:
        self.event(p, at, "create", p.applicant, p.org.code, Role.APPLICANT, from_state="", to_state=p.cur, data=data)
        p.saved_at = at

    def edit(self, p: Any, at: dt.datetime, fields: list[str]) -> None:
        """The applicant changes the named fields of a returned record (``draft_update``)."""
        actor, org_code, role = self.acting(p, "applicant")
        self.event(p, at, "edit", actor, org_code, role, data={"fields": fields})
        p.saved_at = at

    def settle_updated_at(self, model: Any) -> None:
        """The rows inserted with another updated_at than the time of their last save (those a
        notice published): that time, as ``transition`` leaves it."""
        stale = [model(pk=p.pk, updated_at=p.saved_at) for p in self.plans if p.saved_at != p.updated_at]
        model.objects.bulk_update(stale, ["updated_at"], batch_size=self.rows.batch)
        for p in self.plans:
            p.updated_at = p.saved_at

    def attach(self, p: Any, at: dt.datetime, f: StoredFile, original: str, who: str) -> None:
        actor, org_code, role = self.acting(p, who)
        self.rows.add(
            Attachment,
            record_type=self.label,
            record_id=p.pk,
            kind=f.kind,
            file=f.name,
            original_name=original,
            size=f.size,
            sha256=f.sha256,
            content_type=f.content_type,
            uploaded_by=actor,
            uploaded_at=at,
        )
        data = {"kind": f.kind, "name": original, "sha256": f.sha256, "replaced": []}
        self.event(p, at, "attachment_added", actor, org_code, role, data=data)

    def submit(self, p: Any, at: dt.datetime, name: str, snapshot: dict[str, Any], findings: list, opinion: str = ""):
        """``submit``/``resubmit``: the revision, the automatic submission checkpoint, the event."""
        p.revisions += 1
        digest = content_hash(snapshot)
        self.rows.add(
            Revision,
            record_type=self.label,
            record_id=p.pk,
            number=p.revisions,
            content=snapshot,
            content_hash=digest,
            created_by=p.applicant,
            created_at=at,
        )
        p.rev_hash = digest
        p.findings = findings
        self.rows.add(
            Checkpoint,
            record_type=self.label,
            record_id=p.pk,
            stage=CheckpointStage.SUBMISSION,
            revision_hash=digest,
            findings=findings,
            verdict=Verdict.PASS,
            reviewer=None,
            organization_id=p.org.pk,
            opinion=_("自动扫描：发现 %(n)s 处需关注的词语") % {"n": len(findings)},
            created_at=at,
        )
        data: dict[str, Any] = {"revision": p.revisions}
        if findings:
            data["findings"] = len(findings)
        self.move(p, at, name, "submitted", "applicant", opinion, data)

    def checkpoint(self, p: Any, at: dt.datetime, stage: str, opinion: str) -> None:
        """A content reviewer's pass (``checkpoint_record``): the recommending unit's, or CAST's."""
        if stage == CheckpointStage.RECOMMENDER:
            reviewer, org = p.content_reviewer, p.unit
            org_id, org_code = org.pk, org.code
        else:
            reviewer, org_id, org_code = p.content_cast, self.cast_id, self.cast_code
        self.rows.add(
            Checkpoint,
            record_type=self.label,
            record_id=p.pk,
            stage=stage,
            revision_hash=p.rev_hash,
            findings=p.findings,
            verdict=Verdict.PASS,
            reviewer=reviewer,
            organization_id=org_id,
            opinion=opinion,
            created_at=at,
        )
        data = {"stage": stage, "findings": len(p.findings)}
        self.event(
            p,
            at,
            "checkpoint_pass",
            reviewer,
            org_code,
            Role.CONTENT_REVIEWER,
            opinion=opinion,
            data=data,
            client_ip=client_address(reviewer),
        )

    def assign(self, p: Any, at: dt.datetime, expert: Any, due: dt.date, done_at: dt.datetime | None) -> None:
        self.rows.add(
            ReviewAssignment,
            record_type=self.label,
            record_id=p.pk,
            stage="expert",
            assignee=expert,
            assigned_by=p.staff,
            due_date=due,
            status="done" if done_at else "open",
            created_at=at,
            completed_at=done_at,
        )
        data = {"stage": "expert", "assignee": expert.username, "due_date": due.isoformat()}
        self.event(
            p, at, "assign", p.staff, self.cast_code, Role.CAST_STAFF, data=data, client_ip=client_address(p.staff)
        )

    def score(self, p: Any, at: dt.datetime, expert: Any, criteria: list, level: int, comment: str, rng) -> None:
        values = {c.key: max(0, min(100, level + rng.randint(-4, 4))) for c in criteria}
        total = (sum(Decimal(values[c.key]) * c.weight for c in criteria) / Decimal(100)).quantize(Decimal("0.01"))
        from workflows.models import Score

        self.rows.add(
            Score,
            record_type=self.label,
            record_id=p.pk,
            expert=expert,
            scores=values,
            total=total,
            comment=comment,
            submitted_at=at,
        )
        data = {"scores": values, "total": str(total)}
        self.event(p, at, "score", expert, self.cast_code, Role.EXPERT, opinion=comment, data=data)

    # -- public notices -------------------------------------------------------------------

    def notices(self, groups: list[tuple[list[Any], bool]], titles: tuple[str, str], names: dict[str, str]) -> None:
        """Put each group of records on a notice: created, reviewed (the records' publication
        checkpoints), published (their publish transition). ``closed`` groups are finished in
        the finish phase; the others stay published with their period over."""
        from notices.models import NoticeEntry, NoticeStatus, PublicNotice
        from notices.services import NOTICE_RECORD_TYPE, _body_text, _default_contacts, _public_text

        self.notice_rows: list[tuple[Any, list[Any], bool]] = []
        batches = [(chunk, closed) for plans, closed in groups for chunk in _chunks(plans, NOTICE_BATCH)]
        if not batches:
            return
        ticks = sum(3 + 2 * len(chunk) for chunk, _closed in batches)
        clock = self.phase("notice", ticks, self.half)
        tick = 0
        title, intro = titles
        for number, (chunk, closed) in enumerate(batches, start=1):
            created_at = clock.at(tick)
            notice = PublicNotice.objects.create(
                round=self.round,
                record_type=self.label,
                title=title.format(year=self.round.year, n=number),
                intro=intro,
                status=NoticeStatus.PUBLISHED,
                created_by=chunk[0].staff,
                created_at=created_at,
                **_default_contacts(self.round),
            )
            entries = []
            for position, p in enumerate(chunk, start=1):
                public_title, public_summary = _public_text(self.public_record(p))
                entries.append(
                    NoticeEntry(
                        notice=notice,
                        record_type=self.label,
                        record_id=p.pk,
                        position=position,
                        public_title=public_title,
                        public_summary=public_summary,
                    )
                )
            self.rows.insert(NoticeEntry, entries)
            for p, entry in zip(chunk, entries, strict=True):
                p.entry = entry
            staff, content_cast = chunk[0].staff, chunk[0].content_cast
            ids = [p.pk for p in chunk]
            self.chain.append(
                at=created_at,
                record_type=NOTICE_RECORD_TYPE,
                record_id=notice.pk,
                action="notice_created",
                actor=staff,
                actor_org=self.cast_code,
                actor_role=Role.CAST_STAFF,
                from_state="",
                to_state=NoticeStatus.DRAFT,
                data={"record_type": self.label, "record_ids": ids},
                client_ip=client_address(staff),
            )
            tick += 1
            review_opinion = names["review_opinion"]
            for p in chunk:
                self.checkpoint(p, clock.at(tick), CheckpointStage.PUBLICATION, review_opinion)
                tick += 1
            reviewed_at = clock.at(tick)
            self.chain.append(
                at=reviewed_at,
                record_type=NOTICE_RECORD_TYPE,
                record_id=notice.pk,
                action="notice_review_pass",
                actor=content_cast,
                actor_org=self.cast_code,
                actor_role=Role.CONTENT_REVIEWER,
                from_state=NoticeStatus.DRAFT,
                to_state=NoticeStatus.PASSED_REVIEW,
                opinion=review_opinion,
                client_ip=client_address(content_cast),
            )
            tick += 1
            starts_on = timezone.localdate(clock.at(tick))
            ends_on = notice_end(starts_on, self.round.notice_working_days)
            opinion = _("列入公示《%(title)s》，公示期 %(start)s 至 %(end)s") % {
                "title": notice.title,
                "start": starts_on.isoformat(),
                "end": ends_on.isoformat(),
            }
            for p in chunk:
                self.move(p, clock.at(tick), names["publish"], "public_notice", "staff", opinion)
                tick += 1
            published_at = clock.at(tick)
            self.chain.append(
                at=published_at,
                record_type=NOTICE_RECORD_TYPE,
                record_id=notice.pk,
                action="notice_published",
                actor=staff,
                actor_org=self.cast_code,
                actor_role=Role.CAST_STAFF,
                from_state=NoticeStatus.PASSED_REVIEW,
                to_state=NoticeStatus.PUBLISHED,
                data={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
                client_ip=client_address(staff),
            )
            tick += 1
            notice.body = _body_text(entries)
            notice.reviewer = content_cast
            notice.review_opinion = review_opinion
            notice.reviewed_at = reviewed_at
            notice.published_at = published_at
            notice.starts_on = starts_on
            notice.ends_on = ends_on
            self.notice_rows.append((notice, chunk, closed))

    def finish_notices(self, name: str, to_state: str, opinion: str, stamp: Any) -> None:
        """``notice_finish`` of the closed notices: each record still on notice moves on."""
        from notices.models import NoticeStatus, PublicNotice
        from notices.services import NOTICE_RECORD_TYPE

        closing = [(n, chunk) for n, chunk, closed in self.notice_rows if closed]
        ticks = sum(len(chunk) + 1 for _n, chunk in closing)
        clock = self.phase("finish", ticks, self.half)
        tick = 0
        for notice, chunk in closing:
            for p in chunk:
                if p.cur != "public_notice":
                    continue
                at = clock.at(tick)
                data = stamp(p, at)
                self.move(p, at, name, to_state, "staff", opinion, data)
                tick += 1
            notice.closed_at = clock.at(tick)
            notice.status = NoticeStatus.CLOSED
            self.chain.append(
                at=notice.closed_at,
                record_type=NOTICE_RECORD_TYPE,
                record_id=notice.pk,
                action="notice_closed",
                actor=chunk[0].staff,
                actor_org=self.cast_code,
                actor_role=Role.CAST_STAFF,
                from_state=NoticeStatus.PUBLISHED,
                to_state=NoticeStatus.CLOSED,
                opinion=opinion,
                client_ip=client_address(chunk[0].staff),
            )
            tick += 1
        notices = [n for n, _chunk, _closed in self.notice_rows]
        PublicNotice.objects.bulk_update(
            notices,
            [
                "body",
                "status",
                "reviewer",
                "review_opinion",
                "reviewed_at",
                "published_at",
                "starts_on",
                "ends_on",
                "closed_at",
            ],
        )


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]

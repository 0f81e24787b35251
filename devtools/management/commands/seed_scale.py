"""``manage.py seed_scale --applications N --nominations M [--round LABEL]``: a round at
national scale, for benchmarks and load tests.

Fills an application round and a selection round (titled "… （LABEL）", year ``--year``)
with N applications and M nominations spread over every state of both flows — draft to
approved / awarded, with every way there (returned and resubmitted, withdrawn, declined,
rejected at formal review or after the experts, disqualified after an upheld objection) —
over as many organizations as the rules need (see ``devtools.scale.tree``), with
what the real services would have written on the way: revisions with content hashes,
the automatic and the content reviewers' checkpoints, attachments, expert assignments and
scores, public notices (one per 500 records; those of the records on notice have run their
period, so ``issue``/``award`` can be taken today) and the hash-chained audit trail.

Written in bulk, in one transaction (all or nothing): batches of COPY on PostgreSQL,
``bulk_create`` elsewhere (``devtools.scale.bulk.Inserter``). The audit
events are appended to each record's chain in time order, each built and hashed by
``workflows.audit.build_event`` as ``audit_append`` does, and queued for the ledger; after the
commit the sequencer appends them to the Merkle log and signs a checkpoint: ``verify_audit``
stays intact. No outbox rows: the seeded past is not announced again.

Every window of the two rounds is open now (the history lies in the last 80 days), so each
seeded record can take its next transition today.

Not idempotent by design: it refuses a round that already holds records (choose another
``--round`` label, or another ``--year``); organizations and users made by an earlier run are
reused. Every seeded user signs in with the demo password (``DEMO_PASSWORD``): run it on a
benchmark or development database only.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from applications.models import Application
from devtools.demo import DEMO_CONTACTS
from devtools.scale.applications import STATE_WEIGHTS as APPLICATION_STATES
from devtools.scale.applications import ApplicationSeeder
from devtools.scale.bulk import Chain, Inserter, explicit_timestamps
from devtools.scale.common import CALENDAR, Scan, round_windows, stored_file
from devtools.scale.nominations import STATE_WEIGHTS as NOMINATION_STATES
from devtools.scale.nominations import NominationSeeder
from devtools.scale.tree import Tree
from nominations.models import Nomination
from notices.models import Objection, PublicNotice
from workflows.models import Attachment, Checkpoint, ReviewAssignment, Revision, Round, RoundKind, Score

APPLICATION_TITLE = "{year}年度科技志愿服务“智惠行动”项目（{label}）"
SELECTION_TITLE = "{year}年度科技志愿服务“四个十佳”选树（{label}）"
DEFAULT_LABEL = "全国规模测试"
TIMESTAMPED = (
    Application,
    Nomination,
    Revision,
    Checkpoint,
    ReviewAssignment,
    Attachment,
    Score,
    PublicNotice,
    Objection,
    Membership,
)


def round_titles(label: str, year: int) -> tuple[str, str]:
    return APPLICATION_TITLE.format(year=year, label=label), SELECTION_TITLE.format(year=year, label=label)


class Command(BaseCommand):
    help = "Fill an application round and a selection round with N applications and M nominations in every state."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=0, help="applications to create (default 0)")
        parser.add_argument("--nominations", type=int, default=0, help="nominations to create (default 0)")
        parser.add_argument(
            "--round", default=DEFAULT_LABEL, help=f"label in the two rounds' titles (default {DEFAULT_LABEL})"
        )
        parser.add_argument("--year", type=int, default=None, help="the rounds' year (default: this year)")
        parser.add_argument(
            "--states",
            default="",
            help="only these states, comma separated (e.g. public_notice); default: every state of each flow",
        )
        parser.add_argument("--seed", type=int, default=20261128, help="random seed (the same seed, the same data)")
        parser.add_argument("--batch-size", type=int, default=2000, help="rows per INSERT (default 2000)")

    def handle(self, *args, **options):
        n, m = options["applications"], options["nominations"]
        if n < 0 or m < 0 or n + m == 0:
            raise CommandError("请指定 --applications 和/或 --nominations（give a positive number of records）")
        states = {s.strip() for s in options["states"].split(",") if s.strip()} or None
        if states:
            unknown = states - set(APPLICATION_STATES) - set(NOMINATION_STATES)
            if unknown:
                raise CommandError(f"未知的状态（unknown states）：{', '.join(sorted(unknown))}")
        year = options["year"] or timezone.localdate().year
        started = time.perf_counter()
        result = seed_scale(
            applications=n,
            nominations=m,
            label=options["round"],
            year=year,
            states=states,
            seed=options["seed"],
            batch=options["batch_size"],
            log=self.stdout.write,
        )
        elapsed = time.perf_counter() - started
        for flow, counts in (("applications", result["applications"]), ("nominations", result["nominations"])):
            if counts:
                listed = "，".join(f"{s} {c}" for s, c in counts.items() if c)
                self.stdout.write(f"{flow}: {sum(counts.values())}（{listed}）")
        rows = "，".join(f"{label} {count}" for label, count in sorted(result["rows"].items()))
        self.stdout.write(f"rows: {rows}")
        self.stdout.write(
            f"审计事件 {result['events']} 个，账本大小 {result['tree_size']}，"
            f"用时 {elapsed:.1f} 秒（audit events {result['events']}, ledger size {result['tree_size']}, "
            f"{elapsed:.1f} s）"
        )


def seed_scale(
    *,
    applications: int,
    nominations: int,
    label: str = DEFAULT_LABEL,
    year: int | None = None,
    states: set[str] | None = None,
    seed: int = 20261128,
    batch: int = 2000,
    log: Any = None,
) -> dict[str, Any]:
    """Do the work of the command; returns counts per state, rows written, events appended."""
    log = log or (lambda _message: None)
    year = year or timezone.localdate().year
    now = timezone.now()
    app_title, sel_title = round_titles(label, year)
    marks = [(time.perf_counter(), time.process_time())]

    def lap(what: str) -> None:
        marks.append((time.perf_counter(), time.process_time()))
        (wall0, cpu0), (wall1, cpu1) = marks[-2:]
        log(f"  {what}: {wall1 - wall0:.1f} s (CPU of this process {cpu1 - cpu0:.1f} s)")

    with transaction.atomic(), explicit_timestamps(*TIMESTAMPED):
        app_round = _round(app_title, year, RoundKind.APPLICATION, now) if applications else None
        sel_round = _round(sel_title, year, RoundKind.SELECTION, now) if nominations else None
        rows = Inserter(batch)
        chain = Chain(rows)
        provinces = min(31, max(2, math.ceil((applications + nominations) / 3000)))
        societies = min(200, max(2, (applications + nominations) // 400))
        tree = Tree(provinces=provinces, societies=societies)
        scan = Scan()
        seeders: list[Any] = []
        common = {"chain": chain, "rows": rows, "tree": tree, "now": now, "scan": scan}
        counts: dict[str, dict[str, int]] = {"applications": {}, "nominations": {}}
        app_states = (states & set(APPLICATION_STATES)) if states else None
        nom_states = (states & set(NOMINATION_STATES)) if states else None
        if applications:
            if app_states is not None and not app_states:
                raise CommandError("--states 中没有申报的状态（no application state given）")
            apps = ApplicationSeeder(round_=app_round, **common)
            counts["applications"] = apps.plan(applications, states=app_states, seed=seed)
            needs = apps.needs()
            if needs["recommender_quota"] > 1000:  # the most a round's settings allow
                raise CommandError("每个推荐单位的推荐数超过 1000（too many recommendations per unit for one round)")
            _settle(app_round, needs)
            seeders.append(apps)
        if nominations:
            if nom_states is not None and not nom_states:
                raise CommandError("--states 中没有推荐的状态（no nomination state given）")
            noms = NominationSeeder(round_=sel_round, **common)
            counts["nominations"] = noms.plan(nominations, states=nom_states, seed=seed)
            needs = noms.needs()
            if needs.pop("_over_quota"):
                raise CommandError("每个推荐单位每类推荐数超过 1000（too many nominations per unit and category）")
            _settle(sel_round, needs)
            seeders.append(noms)
        lap("plan")
        experts = min(500, max(6, math.ceil(sum(s.experts_needed() for s in seeders) / 300)))
        created = tree.write(experts=experts, inserter=rows)
        lap(f"organizations and users {created}")
        for seeder in seeders:
            seeder.cast()
        _refuse_taken_numbers(seeders)
        files = _files()
        for seeder in seeders:
            seeder.write_records(files, batch)
        lap("records (create phase)")
        for name, *_days in CALENDAR:
            for seeder in seeders:
                step = seeder.step(name)
                if step is not None:
                    step()
            lap(name)
        rows.flush()
        for seeder in seeders:
            seeder.write_open_returns()
        events = chain.close()
        lap("last rows and the audit events queued for the ledger")
    from workflows.ledger.sequencer import sequence

    checkpoint = sequence()
    lap("the ledger's sequencer")
    result_rows = dict(rows.counts)
    return {
        "applications": counts["applications"],
        "nominations": counts["nominations"],
        "rows": result_rows,
        "events": events,
        "first_event_id": chain.first_id,
        "tree_size": checkpoint.tree_size if checkpoint else 0,
        "rounds": {"application": app_round, "selection": sel_round},
        "tree": tree,
    }


def _round(title: str, year: int, kind: str, now: Any) -> Round:
    round_ = Round.objects.filter(year=year, kind=kind, title=title).first()
    model = Application if kind == RoundKind.APPLICATION else Nomination
    if round_ is not None:
        held = model.objects.filter(round=round_).count()
        if held:
            raise CommandError(
                f"批次“{title}”已有 {held} 条记录，seed_scale 不在已填充的批次上追加；请换一个 --round 或 --year"
                f"（refused: round “{title}” already holds {held} records; choose another --round label or --year）"
            )
        Round.objects.filter(pk=round_.pk).update(**round_windows(now))
        round_.refresh_from_db()
    else:
        round_ = Round.objects.create(
            year=year, kind=kind, title=title, notice_working_days=5, contacts=DEMO_CONTACTS, **round_windows(now)
        )
    if kind == RoundKind.APPLICATION:
        from applications.services import subprojects_ensure_defaults

        subprojects_ensure_defaults(round=round_)
    return round_


def _settle(round_: Round, needs: dict[str, Any]) -> None:
    """Store the quotas and numbers the plan needs in the round's settings."""
    round_.settings = {**(round_.settings or {}), **needs}
    round_.full_clean(exclude=["title"])
    round_.save(update_fields=["settings"])
    round_.__dict__.pop("_typed_settings", None)


def _refuse_taken_numbers(seeders: list[Any]) -> None:
    """Approval and certificate numbers are unique across rounds of a year: refuse to seed a
    round whose numbers another round of the same year already issued."""
    for seeder in seeders:
        numbers = [getattr(p, "approval_number", None) or getattr(p, "certificate_number", None) for p in seeder.plans]
        numbers = [x for x in numbers if x]
        if not numbers:
            continue
        model = type(seeder.public_record(seeder.plans[0]))
        field = "approval_number" if model is Application else "certificate_number"
        taken = model.objects.filter(**{f"{field}__in": numbers}).count()
        if taken:
            raise CommandError(
                f"本年度已有其他批次使用了 {taken} 个相同的编号（{numbers[0]} 起）；请用 --year 指定其他年度"
                f"（refused: {taken} of the numbers are taken by another round of {seeder.round.year}; use --year）"
            )


def _files() -> dict[str, Any]:
    from devtools.demo.nominations import PDF_BYTES, PHOTO_JPEG

    mb = 1024 * 1024
    files = {
        kind: stored_file(kind, PDF_BYTES + kind.encode(), "pdf", "application/pdf")
        for kind in ("sealed_application", "recommender_opinion", "unit_opinion")
    }
    for k in range(3):
        files[f"photo{k}"] = stored_file("photo", PHOTO_JPEG + b"\x00" * (mb + 4096 * k), "jpg", "image/jpeg")
    files["id_photo"] = stored_file("id_photo", PHOTO_JPEG + b"\x00" * (mb + 4096 * 3), "jpg", "image/jpeg")
    return files


__all__ = ["Command", "round_titles", "seed_scale"]

"""Benchmark one transition through ``workflows.services.transition`` on PostgreSQL against
the same statements issued by hand.

Run from the project root:

    .venv/bin/python bench/bench_transition.py [--strict] [--runs N]

Uses the national dataset (100,000 applications, seeded once; see bench/_pg.py) and moves
records of its round that wait in ``recommended`` along ``pass_formal_review`` as CAST staff:
the row locked and re-read, the flow, the permission, the conditions (the CAST review window
and the duplicate check over the round, 多头申报), the state saved, the audit event appended to
the hash chain, the outbox rows for the applicants written and their delivery enqueued (Celery's
in-memory transport: nothing is sent). Each transition is its own transaction, as a request.

The baseline, measured in the same run on other records of the same round, issues the same
work by hand through a cursor, one transaction each: ``SELECT … FOR UPDATE`` of the record,
``UPDATE`` of its state, ``SELECT`` of the record's last audit event, the event built and hashed
(``workflows.audit.build_event``), ``INSERT`` of the event and of its queue row for the ledger,
``SELECT`` of the applicants, ``INSERT`` of their outbox rows; ``COMMIT``. It writes valid
events: ``verify_audit`` stays intact. The two alternate in rounds so both see the same
machine.

Also counts the queries of one transition (``CaptureQueriesContext``, transaction control
included) for ``pass_formal_review`` and, for comparison, ``recommend`` and ``issue``.

Targets: ours within 3 × the baseline (median wall-clock); at most 15 queries per transition.
``--strict`` exits 1 when a target is missed. The records used are used up: when the national
round has too few left in ``recommended``, a round of 3,000 more is seeded first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg

TARGET_RATIO = 3.0
TARGET_QUERIES = 15
ROUNDS = 5
OPINION = "形式审查通过：材料齐全，无多头申报，进入专家评审。"


def records_to_move(count: int) -> list[Any]:
    from applications.models import Application

    round_ = _pg.national_round()
    waiting = list(Application.objects.filter(round=round_, state="recommended").order_by("pk")[:count])
    if len(waiting) < count:
        print(f"the national round has {len(waiting)} records left in recommended: seeding 3,000 more …")
        round_ = _pg.fresh_round(applications=3000, states="recommended", prefix="transition")
        waiting = list(Application.objects.filter(round=round_, state="recommended").order_by("pk")[:count])
    return waiting


def by_hand(record_id: int, actor: Any, org_code: str) -> None:
    """The transition's statements through a cursor, in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows.audit import build_event

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, state, organization_id, current_revision_hash, name FROM applications_application "
            "WHERE id = %s FOR UPDATE",
            [record_id],
        )
        _id, state, organization_id, revision_hash, name = cursor.fetchone()
        now = timezone.now()
        cursor.execute(
            "UPDATE applications_application SET state = %s, updated_at = %s WHERE id = %s",
            ["expert_review", now, record_id],
        )
        cursor.execute(
            "SELECT record_seq, hash FROM workflows_auditevent WHERE record_type = %s AND record_id = %s "
            "ORDER BY record_seq DESC LIMIT 1",
            ["applications.application", record_id],
        )
        last_seq, last_hash = cursor.fetchone() or (0, "0" * 64)
        event = build_event(
            record_type="applications.application",
            record_id=record_id,
            record_seq=last_seq + 1,
            prev_hash=last_hash,
            action="pass_formal_review",
            created_at=now,
            actor=actor,
            actor_org=org_code,
            actor_role="cast_staff",
            from_state=state,
            to_state="expert_review",
            opinion=OPINION,
            revision_hash=revision_hash,
        )
        columns = list(event)
        cursor.execute(
            f"INSERT INTO workflows_auditevent ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
            "RETURNING id",
            [json.dumps(event[c]) if c == "data" else event[c] for c in columns],
        )
        (event_id,) = cursor.fetchone()
        cursor.execute("INSERT INTO workflows_ledgerpending (event_id) VALUES (%s)", [event_id])
        cursor.execute(
            "SELECT u.id, u.email FROM accounts_user u WHERE u.is_active AND u.id IN (SELECT m.user_id FROM "
            "accounts_membership m WHERE m.organization_id = %s AND m.role = 'applicant')",
            [organization_id],
        )
        recipients = cursor.fetchall()
        context = json.dumps(
            {
                "record_type": "applications.application",
                "record_id": record_id,
                "title": name,
                "state": "expert_review",
                "url": f"/workflow/applications.application/{record_id}/",
                "action": "pass_formal_review",
                "opinion": OPINION,
                "event_id": event_id,
            },
            ensure_ascii=False,
        )
        rows = []
        for user_id, email in recipients:
            base = f"event:{event['hash'][:32]}:pass_formal_review:{user_id}"
            rows.append([user_id, "in_app", context, f"{base}:in_app", "sent", now])
            if email:
                rows.append([user_id, "email", context, f"{base}:email", "pending", None])
        if rows:
            cursor.execute(
                "INSERT INTO notifications_notification (recipient_id, channel, message_key, context, dedup_key, "
                "status, attempts, last_error, created_at, sent_at, digest) VALUES "
                + ", ".join(["(%s, %s, 'pass_formal_review', %s, %s, %s, 0, '', now(), %s, false)"] * len(rows)),
                [value for r in rows for value in r],
            )


def count_queries(call: Any) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def other_transitions(staff: Any) -> dict[str, int]:
    """Queries of ``recommend`` (its content check made first, untimed) and ``issue``."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Role, User
    from applications.models import Application
    from devtools.demo.nominations import PDF_BYTES
    from workflows.attachments import attachment_add
    from workflows.services import checkpoint_record, transition

    counts = {}
    round_ = _pg.national_round()
    submitted = Application.objects.filter(round=round_, state="submitted").order_by("-pk").first()
    waiting = Application.objects.filter(round=round_, state="public_notice").order_by("-pk").first()
    if submitted is not None:
        unit = submitted.recommending_unit_id
        reviewer = User.objects.filter(memberships__organization_id=unit, memberships__role=Role.SOCIETY_REVIEWER)[0]
        content = User.objects.filter(memberships__organization_id=unit, memberships__role=Role.CONTENT_REVIEWER)[0]
        checkpoint_record(
            submitted, stage="recommender", verdict="pass", opinion="内容无问题，同意推荐。", actor=content
        )
        pdf = SimpleUploadedFile("推荐意见.pdf", PDF_BYTES, content_type="application/pdf")
        attachment_add(submitted, kind="recommender_opinion", upload=pdf, actor=reviewer)
        counts["recommend"] = count_or_refusal(
            lambda: transition(submitted, "recommend", actor=reviewer, opinion="同意推荐。")
        )
    if waiting is not None:
        counts["issue"] = count_or_refusal(lambda: transition(waiting, "issue", actor=staff, opinion="公示期满。"))
    return counts


def count_or_refusal(call: Any) -> Any:
    """The query count of a transition, or why it was refused (e.g. a unit's quota used up
    by earlier runs)."""
    from workflows.exceptions import WorkflowError

    try:
        return count_queries(call)[0]
    except WorkflowError as exc:
        return f"n/a ({'; '.join(str(e) for e in exc.errors)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--runs", type=int, default=30, help="transitions per round and side (default 30)")
    args = parser.parse_args()
    if not _pg.setup("bench_transition"):
        return 0

    from django.db import connection

    from accounts import permissions as perms
    from applications.models import Application
    from workflows.services import transition

    _pg.national_round()  # seeded first on an empty database (the users come with it)
    staff = _pg.user("sc-cast-staff1")
    perms.grants(staff)  # as in a request: the view has read the user's memberships
    org_code = next(g.org_code for g in perms.grants(staff) if g.org_type == "cast")
    warm = 5
    start_seq = _pg.ledger_mark()
    records = records_to_move(2 * (ROUNDS * args.runs + warm) + 1)
    first, records = records[0], records[1:]
    count, statements = count_queries(lambda: transition(first, "pass_formal_review", actor=staff, opinion=OPINION))
    ours_records = records[0::2]
    theirs_records = records[1::2]
    for record in ours_records[:warm]:
        transition(record, "pass_formal_review", actor=staff, opinion=OPINION)
    hand_statements, _sql = count_queries(lambda: by_hand(theirs_records[0].pk, staff, org_code))
    for record in theirs_records[1:warm]:
        by_hand(record.pk, staff, org_code)
    ours_records, theirs_records = ours_records[warm:], theirs_records[warm:]

    ours: list[float] = []
    theirs: list[float] = []
    # Time spent inside the driver's execute (the statements' round trips), to tell the
    # database's share from the Python around it.
    in_db = {"ours": 0.0, "theirs": 0.0}
    side = ["ours"]

    def timing(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db[side[0]] += time.perf_counter() - started

    cpu = {"ours": 0.0, "theirs": 0.0}  # CPU time of this process (what 2 cores share under load)
    with connection.execute_wrapper(timing):
        for r in range(ROUNDS):
            side[0] = "ours"
            cpu_started = time.process_time()
            for record in ours_records[r * args.runs : (r + 1) * args.runs]:
                started = time.perf_counter()
                transition(record, "pass_formal_review", actor=staff, opinion=OPINION)
                ours.append(time.perf_counter() - started)
            cpu["ours"] += time.process_time() - cpu_started
            side[0] = "theirs"
            cpu_started = time.process_time()
            for record in theirs_records[r * args.runs : (r + 1) * args.runs]:
                started = time.perf_counter()
                by_hand(record.pk, staff, org_code)
                theirs.append(time.perf_counter() - started)
            cpu["theirs"] += time.process_time() - cpu_started
    moved = Application.objects.filter(pk__in=[r.pk for r in records], state="expert_review").count()
    others = other_transitions(staff)
    chain = _pg.verify_since(start_seq)

    ours_ms, theirs_ms = _pg.median(ours) * 1000, _pg.median(theirs) * 1000
    ratio = ours_ms / theirs_ms
    ok_ratio, ok_queries = ratio <= TARGET_RATIO, count <= TARGET_QUERIES
    control = sum(1 for s in statements if s.split()[0] in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    row("database", f"{_pg.database_name()} (round of {_pg.NATIONAL_APPLICATIONS:,} applications)")
    row("transition", f"pass_formal_review × {len(ours)} (median of {ROUNDS} alternating rounds)")
    row("ours: workflows.services.transition", f"{ours_ms:8.2f} ms   ({1000 / ours_ms:,.0f} a second, one at a time)")
    row(
        "baseline: the statements by hand",
        f"{theirs_ms:8.2f} ms   ({hand_statements} statements with BEGIN and COMMIT)",
    )
    row(
        "  of which inside execute()",
        f"ours {in_db['ours'] / len(ours) * 1000:.2f} ms, baseline {in_db['theirs'] / len(theirs) * 1000:.2f} ms "
        "(mean; the rest is Python around the statements, and COMMIT)",
    )
    row(
        "  CPU time of this process",
        f"ours {cpu['ours'] / len(ours) * 1000:.2f} ms, baseline {cpu['theirs'] / len(theirs) * 1000:.2f} ms "
        "a transition (mean; the database server's CPU comes on top)",
    )
    row("ratio ours / baseline", f"{ratio:8.2f} ×   target ≤ {TARGET_RATIO:g} ×: {_pg.verdict(ok_ratio)}")
    row(
        "queries of one transition",
        f"{count:8d}      ({control} of them BEGIN/COMMIT/SAVEPOINT/RELEASE)   "
        f"target ≤ {TARGET_QUERIES}: {_pg.verdict(ok_queries)}",
    )
    for name, n in others.items():
        row(f"  for comparison: {name}", f"{n:8d} queries" if isinstance(n, int) else n)
    row("records moved / audit chain", f"{moved + 1} of {len(records) + 1}; {chain}")
    if not chain.startswith("intact") or moved != len(records):
        return 2
    return 0 if (ok_ratio and ok_queries) or not args.strict else 1


def row(label: str, text: str) -> None:
    _pg.row(label, text, 40)


if __name__ == "__main__":
    sys.exit(main())

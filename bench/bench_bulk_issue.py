"""Benchmark issuing 5,000 approvals in one bulk action on PostgreSQL.

Run from the project root:

    .venv/bin/python bench/bench_bulk_issue.py [--strict] [--records 5000]

Seeds, for the run, a round of twice ``--records`` applications on a public notice whose
period has ended (``seed_scale --states public_notice``: proposed, content-reviewed, put on
notices of 500 and published three weeks ago), in a year of its own (approval numbers are
unique across a year's rounds). Then CAST staff issue ``--records`` of them in one bulk
action, ``workflows.services.transition_many(records, "issue")``: one transaction, every
record locked, checked (notice period over, no open objection), numbered (智惠〔year〕NNN号, in
order), saved, its audit event appended and its outbox rows written for the applicants and
the recommending unit's reviewers, their delivery enqueued on commit (Celery's in-memory
transport: nothing is sent).

The baseline, measured in the same run on the other half, issues the same approvals with
the same statements by hand through a cursor in one transaction, per record: ``SELECT … FOR
UPDATE``, the ``UPDATE`` with the approval number, ``SELECT … FOR UPDATE`` of the chain head,
the ``INSERT`` of the audit event (hash computed as ``workflows.audit`` does), the ``UPDATE``
of the head, the ``SELECT`` of the recipients, the ``INSERT`` of their outbox rows.

Target: the bulk action under 60 s. ``--strict`` exits 1 when it is missed.
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

TARGET_SECONDS = 60.0
OPINION = "公示期满，未收到异议，予以正式立项。"


def issue_by_hand(records: list[Any], actor: Any, org_code: str, round_: Any, first_number: int) -> None:
    """The statements of ``issue`` for every record, by hand, in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows.audit import compute_hash

    with transaction.atomic(), connection.cursor() as cursor:
        for offset, record in enumerate(records):
            cursor.execute(
                "SELECT id, state, organization_id, recommending_unit_id, current_revision_hash, name "
                "FROM applications_application WHERE id = %s FOR UPDATE",
                [record.pk],
            )
            _id, state, organization_id, unit_id, revision_hash, name = cursor.fetchone()
            number = f"智惠〔{round_.year}〕{first_number + offset:03d}号"
            now = timezone.now()
            cursor.execute(
                "UPDATE applications_application SET state = 'approved', approval_number = %s, issued_at = %s, "
                "updated_at = %s WHERE id = %s",
                [number, now, now, record.pk],
            )
            cursor.execute("SELECT last_seq, last_hash FROM workflows_auditchainhead WHERE id = 1 FOR UPDATE")
            last_seq, last_hash = cursor.fetchone()
            event = {
                "seq": last_seq + 1,
                "record_type": "applications.application",
                "record_id": record.pk,
                "action": "issue",
                "from_state": state,
                "to_state": "approved",
                "actor_id": actor.pk,
                "actor_name": actor.display_name or actor.username,
                "actor_org": org_code,
                "actor_role": "cast_staff",
                "opinion": OPINION,
                "data": {"approval_number": number},
                "revision_hash": revision_hash,
                "client_ip": None,
                "created_at": now,
                "prev_hash": last_hash,
            }
            event["hash"] = compute_hash(event)
            columns = list(event)
            cursor.execute(
                f"INSERT INTO workflows_auditevent ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                [json.dumps(event[c], ensure_ascii=False) if c == "data" else event[c] for c in columns],
            )
            cursor.execute(
                "UPDATE workflows_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
                [event["seq"], event["hash"]],
            )
            cursor.execute(
                "SELECT DISTINCT u.id, u.email FROM accounts_user u JOIN accounts_membership m ON m.user_id = u.id "
                "WHERE u.is_active AND ((m.organization_id = %s AND m.role = 'applicant') "
                "OR (m.organization_id = %s AND m.role = 'society_reviewer'))",
                [organization_id, unit_id],
            )
            context = json.dumps(
                {"record_id": record.pk, "title": name, "state": "approved", "action": "issue", "opinion": OPINION},
                ensure_ascii=False,
            )
            rows = []
            for user_id, email in cursor.fetchall():
                base = f"event:{event['hash'][:32]}:issue:{user_id}"
                rows.append([user_id, "in_app", context, f"{base}:in_app", "sent", now])
                if email:
                    rows.append([user_id, "email", context, f"{base}:email", "pending", None])
            cursor.execute(
                "INSERT INTO notifications_notification (recipient_id, channel, message_key, context, dedup_key, "
                "status, attempts, last_error, created_at, sent_at, digest) VALUES "
                + ", ".join(["(%s, %s, 'issue', %s, %s, %s, 0, '', now(), %s, false)"] * len(rows)),
                [value for r in rows for value in r],
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--records", type=int, default=5000, help="approvals issued in the bulk action (default 5000)")
    args = parser.parse_args()
    if not _pg.setup("bench_bulk_issue"):
        return 0

    from django.db import connection

    from accounts import permissions as perms
    from applications.models import Application
    from notifications.models import Notification
    from workflows.services import transition_many

    _pg.national_round()  # national-sized tables around the round of this run
    start_seq = _pg.chain_seq() + 1
    print(f"seeding {2 * args.records:,} applications on a notice whose period has ended …")
    started = time.perf_counter()
    round_ = _pg.fresh_round(applications=2 * args.records, states="public_notice", prefix="bulk-issue",
                             issue_numbers=True)  # fmt: skip
    seeded = time.perf_counter() - started
    records = list(Application.objects.filter(round=round_).order_by("pk"))
    ours_records, theirs_records = records[: args.records], records[args.records :]
    staff = _pg.user("sc-cast-staff1")
    perms.grants(staff)
    org_code = next(g.org_code for g in perms.grants(staff) if g.org_type == "cast")

    statements = [0]

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    outbox_before = Notification.objects.count()
    started = time.perf_counter()
    with connection.execute_wrapper(counting):
        done = transition_many(ours_records, "issue", actor=staff, opinion=OPINION)
    ours = time.perf_counter() - started
    outbox = Notification.objects.count() - outbox_before

    started = time.perf_counter()
    issue_by_hand(theirs_records, staff, org_code, round_, len(done) + 1)
    theirs = time.perf_counter() - started
    approved = Application.objects.filter(round=round_, state="approved").count()
    numbers = sorted(
        Application.objects.filter(pk__in=[r.pk for r in ours_records]).values_list("approval_number", flat=True)
    )
    expected = sorted(f"智惠〔{round_.year}〕{n:03d}号" for n in range(1, args.records + 1))
    chain = _pg.verify_since(start_seq)

    ok = ours < TARGET_SECONDS
    row = _pg.row
    row("database / round", f"{_pg.database_name()}; {round_.title} (seeded in {seeded:.0f} s)")
    row(
        "ours: transition_many(…, 'issue')", f"{ours:8.1f} s   ({len(done):,} issued, {len(done) / ours:,.0f} a second)"
    )
    row("  statements sent", f"{statements[0]:8,}   ({statements[0] / len(done):.1f} per approval, plus BEGIN/COMMIT)")
    row("  outbox rows written", f"{outbox:8,}   ({outbox / len(done):.1f} per approval)")
    row("baseline: the statements by hand", f"{theirs:8.1f} s   ({len(theirs_records):,} issued)")
    row("ratio ours / baseline", f"{ours / theirs:8.2f} ×")
    row(f"target < {TARGET_SECONDS:g} s", _pg.verdict(ok))
    row("approved / numbers / audit chain", f"{approved:,}; {'in order' if numbers == expected else 'WRONG'}; {chain}")
    if numbers != expected or not chain.startswith("intact") or approved != len(records):
        return 2
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark transitions per second with 8 concurrent clients on PostgreSQL.

Run from the project root:

    .venv/bin/python bench/bench_throughput.py [--strict] [--clients 8] [--seconds 6]

Eight processes, each with its own database connection, move different records (their own
share of a round seeded for the run, all in ``recommended``) along ``pass_formal_review``
through ``workflows.services.transition`` as fast as they can for ``--seconds``; then the
same with the baseline — the transition's statements by hand, as in bench_transition.py —
on other records. Every transition is its own transaction and locks its record only (each
record's audit chain is its own; the ledger's sequencer runs outside, as a task). The figure
is transitions committed per second of wall-clock over all clients.

Target: at least 300 transitions a second. ``--strict`` exits 1 when it is missed. The
database also holds the national dataset (bench/_pg.py), so the tables and indexes are
national-sized.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg

TARGET_PER_SECOND = 300.0
# Records seeded per client: more than a client can move in the time (the by-hand side is faster).
OURS_PER_CLIENT = 500
BASELINE_PER_CLIENT = 1200
OPINION = "形式审查通过：材料齐全，无多头申报，进入专家评审。"


def client(kind: str, ids: list[int], start_at: float, seconds: float, results: Any) -> None:
    """One client: its own connection, its own records, until time is up."""
    from bench_transition import by_hand
    from django.db import connections

    from accounts import permissions as perms
    from applications.models import Application
    from workflows.services import transition

    connections.close_all()  # never share the parent's connection
    staff = _pg.user("sc-cast-staff1")
    perms.grants(staff)
    org_code = next(g.org_code for g in perms.grants(staff) if g.org_type == "cast")
    records = list(Application.objects.filter(pk__in=ids).order_by("pk"))
    while time.time() < start_at:
        time.sleep(0.001)
    done, stop, finished = 0, start_at + seconds, time.time()
    for record in records:
        if time.time() >= stop:
            break
        if kind == "ours":
            transition(record, "pass_formal_review", actor=staff, opinion=OPINION)
        else:
            by_hand(record.pk, staff, org_code)
        done += 1
        finished = time.time()
    results.put((done, finished - start_at, done == len(records)))
    connections.close_all()


def run(kind: str, shares: list[list[int]], seconds: float) -> tuple[float, int, bool]:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 2.0  # every client connected and loaded before the clock starts
    processes = [context.Process(target=client, args=(kind, ids, start_at, seconds, results)) for ids in shares]
    for p in processes:
        p.start()
    outcomes = [results.get() for _p in processes]
    for p in processes:
        p.join()
    done = sum(o[0] for o in outcomes)
    elapsed = max(o[1] for o in outcomes)
    return done / elapsed, done, any(o[2] for o in outcomes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds each side runs (default 6)")
    args = parser.parse_args()
    if not _pg.setup("bench_throughput"):
        return 0

    from applications.models import Application

    _pg.national_round()
    start_seq = _pg.ledger_mark()
    ours_total = args.clients * OURS_PER_CLIENT
    total = ours_total + args.clients * BASELINE_PER_CLIENT
    print(f"seeding {total:,} applications in recommended for this run …")
    round_ = _pg.fresh_round(applications=total, states="recommended", prefix="throughput")
    ids = list(Application.objects.filter(round=round_).order_by("pk").values_list("pk", flat=True))
    ours_ids, theirs_ids = ids[:ours_total], ids[ours_total:]
    # Each client gets records spread over the round (different organizations and units).
    ours_shares = [ours_ids[i :: args.clients] for i in range(args.clients)]
    theirs_shares = [theirs_ids[i :: args.clients] for i in range(args.clients)]

    ours_rate, ours_done, ours_ran_out = run("ours", ours_shares, args.seconds)
    theirs_rate, theirs_done, theirs_ran_out = run("baseline", theirs_shares, args.seconds)
    chain = _pg.verify_since(start_seq)
    ratio = ours_rate / theirs_rate
    ok = ours_rate >= TARGET_PER_SECOND
    row = _pg.row
    row("database / clients", f"{_pg.database_name()}; {args.clients} processes, {args.seconds:g} s each side")
    row("ours: transition()", f"{ours_rate:8.1f} a second   ({ours_done:,} committed)")
    row("baseline: the statements by hand", f"{theirs_rate:8.1f} a second   ({theirs_done:,} committed)")
    row("ratio ours / baseline", f"{ratio:8.2f}")
    row(f"target ≥ {TARGET_PER_SECOND:g} a second", _pg.verdict(ok))
    row("audit chain", chain)
    if ours_ran_out or theirs_ran_out:
        row("note", "a client ran out of records before the time was up: the rate is over its own time")
    if not chain.startswith("intact"):
        return 2
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())

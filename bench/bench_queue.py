"""Benchmark a reviewer's queue page at 100,000 applications against the raw SQL of the page.

Run from the project root:

    .venv/bin/python bench/bench_queue.py [--strict] [--runs N]

On the national dataset (100,000 applications, seeded once; see bench/_pg.py) it requests,
through Django's test client (middleware, session, permissions, template or serializer):

* the HTML list ``/applications/?round=…&state=submitted`` as a society reviewer of the
  provincial CAST with the longest queue, and ``/applications/?round=…&state=recommended`` as
  CAST staff (who see every application from "recommended" on) — the national round only,
  since the benchmarks that use records up add rounds of their own to the database;
* the API ``/api/v1/applications/?round=…&state=…`` as the same two users;

each at page 1 and at a deep page. Both lists have a fixed page size of 20 (the HTML list's
``PER_PAGE``, the API's ``PAGE_SIZE``; neither takes a page-size parameter), so the deep page
stands in for "whatever the page": the query count must not grow with it.

The baseline, measured in the same run, is the raw SQL of the same page through a cursor: the
count and the page query that the list's queryset sends (the same filter, order, LIMIT and
OFFSET, the same joins), rows fetched — what the database has to do for the page, without
Django around it. Each figure is the median of ``--runs`` requests after a warm-up, the page
and its baseline alternating in rounds.

Targets: each page within 5 × its baseline; at most 12 queries per request whatever the page.
``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pg

TARGET_RATIO = 5.0
TARGET_QUERIES = 12
PAGE_SIZE = 20


def queue_users(round_: Any) -> list[tuple[str, Any, str]]:
    """(who, user, state): the reviewer of the provincial CAST with most submitted, CAST staff."""
    from django.db.models import Count

    from accounts.models import OrgType, Role, User
    from applications.models import Application

    unit_id = (
        Application.objects.filter(round=round_, state="submitted", recommending_unit__type=OrgType.PROVINCIAL_CAST)
        .values("recommending_unit")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("recommending_unit", flat=True)
        .first()
    )
    reviewer = User.objects.filter(memberships__organization_id=unit_id, memberships__role=Role.SOCIETY_REVIEWER)[0]
    return [
        ("society reviewer", reviewer, "submitted"),
        ("CAST staff", _pg.user("sc-cast-staff1"), "recommended"),
    ]


def page_sql(user: Any, state: str, round_id: int, page: int) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """The count and page SQL the list sends for this user, state, round and page."""
    from applications.models import Application
    from workflows.registry import record_type_of

    qs = record_type_of(Application).listing(user, {"state": state, "round": str(round_id)})
    offset = (page - 1) * PAGE_SIZE
    count_sql = qs.order_by().values("pk").query.sql_with_params()
    return (f"SELECT COUNT(*) FROM ({count_sql[0]}) counted", count_sql[1]), qs[
        offset : offset + PAGE_SIZE
    ].query.sql_with_params()


def raw(statements: tuple[tuple[str, Any], tuple[str, Any]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--runs", type=int, default=25, help="requests per figure (default 25)")
    args = parser.parse_args()
    if not _pg.setup("bench_queue"):
        return 0

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application
    from workflows.registry import record_type_of

    round_ = _pg.national_round()
    total = Application.objects.filter(round=round_).count()
    print(f"database {_pg.database_name()}: {Application.objects.count():,} applications ({total:,} in {round_.title})")
    print(f"{'page':<58} {'queries':>7} {'ours ms':>9} {'raw SQL ms':>11} {'ratio':>7}  target")
    worst_ratio, worst_queries = 0.0, 0
    for who, user, state in queue_users(round_):
        client = Client()
        client.force_login(user)
        rows = record_type_of(Application).listing(user, {"state": state, "round": str(round_.pk)}).count()
        last = max(1, -(-rows // PAGE_SIZE))
        for kind, base in (("HTML", "/applications/"), ("API", "/api/v1/applications/")):
            for page in sorted({1, min(last, 50)}):
                url = f"{base}?round={round_.pk}&state={state}&page={page}"

                def get(url: str = url, client: Any = client) -> None:
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)

                with CaptureQueriesContext(connection) as captured:
                    get()
                # Read now: the next request empties the connection's query log.
                queries = len(captured.captured_queries)
                statements = page_sql(user, state, round_.pk, page)
                ours, baseline = _pg.alternate(get, lambda statements=statements: raw(statements), args.runs)
                ratio = ours / baseline
                worst_ratio, worst_queries = max(worst_ratio, ratio), max(worst_queries, queries)
                label = f"{kind} {who}: {state} ({rows:,}), page {page}/{last}"
                ok = ratio <= TARGET_RATIO and queries <= TARGET_QUERIES
                print(f"{label:<58} {queries:>7} {ours:>9.2f} {baseline:>11.2f} {ratio:>6.1f}×  {_pg.verdict(ok)}")
    ok_ratio, ok_queries = worst_ratio <= TARGET_RATIO, worst_queries <= TARGET_QUERIES
    _pg.row("worst ratio ours / raw SQL", f"{worst_ratio:.1f} ×   target ≤ {TARGET_RATIO:g} ×: {_pg.verdict(ok_ratio)}")
    _pg.row("most queries per request", f"{worst_queries}   target ≤ {TARGET_QUERIES}: {_pg.verdict(ok_queries)}")
    _pg.row("page size", f"{PAGE_SIZE}, fixed (HTML PER_PAGE and API PAGE_SIZE; no page-size parameter)")
    return 0 if (ok_ratio and ok_queries) or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())

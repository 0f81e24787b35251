"""What a write locks, and in which order (docs/design.md, "Locks"), and what happens when the
database gives up on a lock.

The order, for every write:

1. the public notice or the objection, when the write is about one;
2. the records, by primary key (a bulk action takes all of its records before writing any);
3. the counted scopes (a unit's quota, a category's winners, a project name): one PostgreSQL
   advisory lock each, in the order of their ids;
4. the number series (``NumberSequence``: approval or certificate numbers of a year);
5. nothing global: audit events chain per record under the record's lock, and the ledger's
   sequencer runs outside the users' transactions.

A deadlock or serialization failure (PostgreSQL 40P01 / 40001) or a busy SQLite is retried
once at the service boundary (``retry_on_contention``), then answered 409 (``Contention``) or
503 (``Busy``), never 500.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction

from .exceptions import Busy, Contention

F = TypeVar("F", bound=Callable[..., Any])

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"  # lock_timeout / statement_timeout
UNIQUE_VIOLATION = "23505"
# Unique constraints whose violation means "another writer got there first" (two appends to one
# record's chain that did not hold its lock): retried like a deadlock.
RACE_CONSTRAINTS = ("one_event_per_record_seq", "one_number_sequence")


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__ or exc.__context__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def contention_kind(exc: BaseException) -> str | None:
    """ "retry" for a failure another attempt may not meet (deadlock, serialization, a lost race
    on a chain), "busy" for a lock waited on too long, None for anything else."""
    if isinstance(exc, OperationalError):
        state = _sqlstate(exc)
        if state in (DEADLOCK, SERIALIZATION_FAILURE):
            return "retry"
        if state in (LOCK_NOT_AVAILABLE, QUERY_CANCELED):
            return "busy"
        message = str(exc).lower()
        if "database is locked" in message or "database table is locked" in message:
            return "busy"
        return None
    if isinstance(exc, IntegrityError):
        if _sqlstate(exc) == UNIQUE_VIOLATION or "unique" in str(exc).lower():
            text = str(exc)
            if any(name in text for name in RACE_CONSTRAINTS) or "record_seq" in text:
                return "retry"
    return None


def retry_on_contention(func: F) -> F:
    """Run ``func`` (a service that opens its own transaction); if the database gives up on a
    lock, run it once more, then refuse with Contention (409) or Busy (503). Inside a caller's
    transaction it runs once and lets the error reach the outermost service, which alone can
    start over."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        for attempt in (1, 2):
            try:
                return func(*args, **kwargs)
            except (OperationalError, IntegrityError) as exc:
                kind = contention_kind(exc)
                if kind is None:
                    raise
                if attempt == 2:
                    raise (Busy() if kind == "busy" else Contention()) from exc
                # A short random pause, so two retried writers do not meet again in step.
                time.sleep(random.uniform(0.01, 0.08))
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]


def lock_record(model: Any, pk: int, *, related: tuple[str, ...] = ()) -> Any:
    """The record's row, locked until the transaction ends — only its own row (FOR UPDATE OF
    self), even when ``related`` rows (its round) are read in the same query."""
    query = model.objects.select_for_update(of=("self",))
    if related:
        query = query.select_related(*related)
    return query.get(pk=pk)


def lock_records(model: Any, pks: Iterable[int], *, related: tuple[str, ...] = ()) -> dict[int, Any]:
    """Several records' rows locked in primary-key order (so two bulk actions never deadlock)."""
    ids = sorted(set(pks))
    query = model.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    if related:
        query = query.select_related(*related)
    return {r.pk: r for r in query}


def scope_lock_id(key: str) -> int:
    """The 64-bit advisory lock id of a counted scope (two keys sharing one only take turns)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def lock_scopes(keys: Iterable[str]) -> None:
    """Lock the counted scopes ``keys`` until the transaction ends: PostgreSQL transaction-level
    advisory locks, one per scope, taken in one statement in a fixed order. No row is needed —
    a scope such as a project name is new almost every time — and nothing is written. On SQLite
    the IMMEDIATE transaction already excludes every other writer."""
    ids = sorted({scope_lock_id(k) for k in keys})
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(id)) FROM (SELECT unnest(%s::bigint[]) AS id ORDER BY 1) AS scopes",
            [ids],
        )


def next_number(series: str, year: int, *, start: Callable[[], int]) -> int:
    """The next number of ``series`` in ``year``: locks its ``NumberSequence`` row until the
    transaction ends (taken after the record, so two issues in two rounds of a year queue on it
    instead of deadlocking). A new series starts after ``start()``, the numbers already given
    out before the series had a row."""
    return reserve_numbers(series, year, count=1, start=start)


def reserve_numbers(series: str, year: int, *, count: int, start: Callable[[], int]) -> int:
    """Take ``count`` consecutive numbers of ``series`` in ``year``; returns the first one (a bulk
    writer reserves its block at once). One statement moves and locks the series' row until the
    transaction ends; a series' first use makes the row first."""
    from .models import NumberSequence

    table = NumberSequence._meta.db_table
    statement = f"UPDATE {table} SET last = last + %s WHERE year = %s AND series = %s RETURNING last"
    with connection.cursor() as cursor:
        cursor.execute(statement, [count, year, series])
        row = cursor.fetchone()
        if row is None:
            NumberSequence.objects.bulk_create(
                [NumberSequence(year=year, series=series, last=start())], ignore_conflicts=True
            )
            cursor.execute(statement, [count, year, series])
            row = cursor.fetchone()
    return row[0] - count + 1

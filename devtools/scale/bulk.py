"""Bulk writing for the scale seed: the audit chains, buffered inserts, the seed's clock.

Each record's chain is continued exactly as ``workflows.audit.audit_append`` does it — the
event built by the same ``workflows.audit.build_event`` — but the rows are inserted in batches
(see ``Inserter``) and queued for the ledger's sequencer at the end. The seed writes only the
records it creates, so no other writer appends to their chains meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from workflows.audit import build_event, chain_head
from workflows.models import AuditEvent, LedgerPending


@contextlib.contextmanager
def explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let ``bulk_create`` store the dates the seed gives instead of "now".

    ``auto_now``/``auto_now_add`` fields overwrite any value on insert; a seeded history
    needs its past dates (lists are ordered by them), so the flags are lifted while the seed
    runs and put back afterwards, whatever happens.
    """
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


# Field types whose Python values psycopg takes as they are (no get_db_prep_save needed).
PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


class Inserter:
    """Buffered inserts per model, flushed every ``batch`` rows (and at the end).

    On PostgreSQL the rows go in with COPY (ids drawn from the table's sequence first when
    the caller needs them), from plain dicts: Django's ``bulk_create`` sends PostgreSQL arrays
    (UNNEST) whose quoting psycopg does in Python, which made the JSON-heavy tables (revisions,
    the audit trail) several times slower, and a model instance per row costs more than the
    row. Elsewhere (SQLite in the tests) it is ``bulk_create`` of model instances.
    """

    def __init__(self, batch: int):
        self.batch = batch
        self.buffers: dict[type[models.Model], list[Any]] = {}
        self.counts: dict[str, int] = {}
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.copy = self.connection.vendor == "postgresql"
        self._columns: dict[tuple[type[models.Model], bool], list[tuple[Any, ...]]] = {}

    def make(self, model: type[models.Model], values: dict[str, Any]) -> Any:
        """A row to buffer: the values themselves for COPY, else a model instance."""
        return values if self.copy else model(**values)

    def add(self, model: Any, **values: Any) -> None:
        """Buffer a row: ``add(instance)`` or ``add(Model, field=value, …)``."""
        if isinstance(model, models.Model):
            row, model = model, type(model)
        else:
            row = self.make(model, values)
        rows = self.buffers.setdefault(model, [])
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush(model)

    def flush(self, model: type[models.Model] | None = None) -> None:
        for m in [model] if model else list(self.buffers):
            rows = self.buffers.get(m) or []
            if rows:
                self.insert(m, rows, ids=False)
                self.buffers[m] = []

    def insert(self, model: type[models.Model], rows: list[Any], *, ids: bool = True) -> None:
        """Insert now; with ``ids`` every row (model instances then) gets its primary key."""
        if not rows:
            return
        label = model._meta.label_lower
        self.counts[label] = self.counts.get(label, 0) + len(rows)
        if not self.copy:
            model.objects.bulk_create(rows, batch_size=self.batch)
            return
        conn = self.connection
        pk = model._meta.pk
        with conn.cursor() as cursor:
            if ids:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, pk.column])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(rows)])
                for obj, (value,) in zip(rows, sorted(cursor.fetchall()), strict=True):
                    obj.pk = value
                    obj._state.adding = False
            columns = self._plan(model, ids)
            names = ", ".join(conn.ops.quote_name(c[0].column) for c in columns)
            table = conn.ops.quote_name(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([self._value(row, *c) for c in columns])

    def _plan(self, model: type[models.Model], with_pk: bool) -> list[tuple[Any, ...]]:
        key = (model, with_pk)
        if key not in self._columns:
            pk = model._meta.pk
            self._columns[key] = [
                (f, f.attname, f.name, f.is_relation, f.get_internal_type() in PLAIN_TYPES)
                for f in model._meta.concrete_fields
                if with_pk or f is not pk
            ]
        return self._columns[key]

    def _value(self, row: Any, f: Any, attname: str, name: str, relation: bool, plain: bool) -> Any:
        if isinstance(row, dict):
            if attname in row:
                value = row[attname]
            elif name in row:
                value = row[name]
                if relation and isinstance(value, models.Model):
                    value = value.pk
            else:
                value = f.get_default()
        else:
            value = getattr(row, attname)
        return value if plain else f.get_db_prep_save(value, self.connection)


class Chain:
    """Appends to the records' hash chains in bulk."""

    def __init__(self, rows: Inserter):
        self.inserter = rows
        self.batch = rows.batch
        self.rows: list[Any] = []
        self.heads: dict[tuple[str, int], tuple[int, str]] = {}
        self.count = 0
        self.last_time: dt.datetime | None = None
        self.first_id = (AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def append(
        self,
        *,
        at: dt.datetime,
        record_type: str,
        record_id: int,
        action: str,
        **fields: Any,
    ) -> dict[str, Any]:
        """One event, built and hashed as ``audit_append`` does; returns its values."""
        if self.last_time is not None and at < self.last_time:
            raise ValueError(f"seeded events must be appended in time order ({action} at {at} < {self.last_time})")
        self.last_time = at
        key = (record_type, int(record_id))
        if key not in self.heads:
            self.heads[key] = chain_head(record_type, int(record_id))
        last_seq, last_hash = self.heads[key]
        values = build_event(
            record_type=record_type,
            record_id=record_id,
            record_seq=last_seq + 1,
            prev_hash=last_hash,
            action=action,
            created_at=at,
            **fields,
        )
        self.heads[key] = (values["record_seq"], values["hash"])
        self.count += 1
        self.rows.append(self.inserter.make(AuditEvent, values))
        if len(self.rows) >= self.batch:
            self.flush()
        return values

    def flush(self) -> None:
        if self.rows:
            self.inserter.insert(AuditEvent, self.rows, ids=False)
            self.rows = []

    def close(self) -> int:
        """Insert what is left and queue the seed's events for the ledger's sequencer; returns
        the number of events appended."""
        self.flush()
        ids = AuditEvent.objects.filter(pk__gte=self.first_id, ledger_leaf__isnull=True).exclude(
            pk__in=LedgerPending.objects.filter(event_id__gte=self.first_id).values("event_id")
        )
        id_list = list(ids.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(id_list), 5000):
            LedgerPending.objects.bulk_create([LedgerPending(event_id=i) for i in id_list[start : start + 5000]])
        return self.count


class Phase:
    """A stretch of the round's calendar in which one step happens to many records.

    Record ``i`` of ``n`` acts at ``start + (i + ½)/n × length``; its ``j``-th event in the
    phase ``j`` small steps later, never reaching the next record's slot: so events come out
    in time order when the phase walks the records in order.
    """

    def __init__(self, start: dt.datetime, end: dt.datetime, n: int):
        self.start = start
        self.n = max(n, 1)
        self.slot = (end - start) / self.n
        self.step = self.slot / 64

    def at(self, i: int, j: int = 0) -> dt.datetime:
        return self.start + self.slot * i + self.step * (j + 1)

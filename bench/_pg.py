"""What the PostgreSQL benchmarks share: the database, Django, the seeded data.

The database is ``DATABASE_URL`` or ``postgres://postgres@127.0.0.1:5432/zhihui_bench``; it is
created and migrated when missing. When PostgreSQL does not answer, a benchmark prints one
``SKIP`` line and exits 0 (``make bench`` goes on with the others).

Django runs with the development settings, ``DEBUG`` off, e-mail to the dummy backend and
Celery on its in-memory transport (``memory://``): a transition writes its outbox rows and
enqueues their delivery exactly as with a broker, but no worker sends anything, so what is
measured is the transition, not an e-mail.

The national dataset is 100,000 applications seeded once with ``manage.py seed_scale`` (round
label ``national``, about five minutes on the reference machine) and reused by every run.
Benchmarks that use records up (every transition moves one) take them from rounds they seed
for themselves, with the same command, in the same database.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zhihui_bench"
NATIONAL_LABEL = "national"
NATIONAL_APPLICATIONS = 100_000


def setup(name: str) -> bool:
    """Connect (creating the database if needed), set Django up and migrate. False, after
    printing why, when there is no PostgreSQL to measure."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        print(f"SKIP {name}: needs PostgreSQL, DATABASE_URL is {url}")
        return False
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(maintenance, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                print(f"created database {database}")
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"SKIP {name}: PostgreSQL unreachable at {parts.hostname}:{parts.port or 5432} ({first})")
        return False

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DEBUG"] = "false"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"  # the test client's host
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "media" / "bench"))  # seeded and uploaded files
    # The benchmark database's own ledger key and checkpoint file (var/ is not in git).
    os.environ.setdefault("AUDIT_SIGNING_KEY_FILE", str(ROOT / "var" / "bench-audit" / "signing-key.pem"))
    os.environ.setdefault("AUDIT_CHECKPOINT_DIR", str(ROOT / "var" / "bench-audit"))
    import warnings

    import django

    # WhiteNoise warns that collectstatic has not been run: irrelevant to what is measured.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return True


def database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def seed(**options: Any) -> dict[str, Any]:
    """``seed_scale`` in this process; returns what it made (rounds, counts)."""
    from devtools.management.commands.seed_scale import seed_scale

    started = time.perf_counter()
    result = seed_scale(**options)
    result["seconds"] = time.perf_counter() - started
    analyze()
    return result


def analyze() -> None:
    """After a bulk load: fresh planner statistics, as autovacuum would give them soon after,
    and a checkpoint, so that writing the load out does not fall into a measurement."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError:  # needs a superuser (or pg_checkpoint): then only the statistics
            pass


def national_round() -> Any:
    """The round of the national dataset, seeded first when the database has none."""
    from django.utils import timezone

    from applications.models import Application
    from devtools.management.commands.seed_scale import round_titles
    from workflows.models import Round, RoundKind

    title, _selection = round_titles(NATIONAL_LABEL, timezone.localdate().year)
    round_ = Round.objects.filter(kind=RoundKind.APPLICATION, title__endswith=f"（{NATIONAL_LABEL}）").first()
    if round_ is not None and Application.objects.filter(round=round_).count() >= NATIONAL_APPLICATIONS * 0.95:
        return round_
    if round_ is not None:
        raise SystemExit(f"round {round_.title} is incomplete: drop the database {database_name()} and run again")
    print(f"seeding the national dataset: {NATIONAL_APPLICATIONS:,} applications (once; about 5 minutes) …")
    result = seed(applications=NATIONAL_APPLICATIONS, nominations=0, label=NATIONAL_LABEL)
    print(f"  seeded in {result['seconds']:.0f} s ({result['events']:,} audit events)")
    return Round.objects.get(title=title, kind=RoundKind.APPLICATION)


def fresh_round(*, applications: int, states: str, prefix: str, issue_numbers: bool = False) -> Any:
    """A new round of ``applications`` records in ``states``, for a benchmark to use up.

    With ``issue_numbers`` the round gets a year no other application round has, because
    approval numbers (智惠〔year〕NNN号) are unique across the rounds of a year."""
    from django.utils import timezone

    from workflows.models import Round, RoundKind

    year = timezone.localdate().year
    if issue_numbers:
        taken = set(Round.objects.filter(kind=RoundKind.APPLICATION).values_list("year", flat=True))
        free = [y for y in range(1990, year + 1) if y not in taken]
        if not free:
            raise SystemExit(f"no year left for another round in {database_name()}: drop the database and run again")
        year = free[-1]
    label = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    result = seed(applications=applications, nominations=0, label=label, year=year, states={states})
    return result["rounds"]["application"]


def ledger_mark() -> int:
    """The audit log's size after sequencing what is queued: the events a run appends come
    after it."""
    from workflows.ledger.sequencer import latest_checkpoint, sequence

    sequence()
    checkpoint = latest_checkpoint()
    return checkpoint.tree_size if checkpoint else 0


def verify_since(mark: int) -> str:
    """Sequence the run's events, then verify the ledger from the checkpoint of size ``mark``
    (the run's events: their record chains, leaves, roots and signatures; ``verify_audit
    --since``)."""
    from workflows.ledger.sequencer import sequence
    from workflows.ledger.verify import verify_ledger

    sequence()
    report = verify_ledger(since=mark or None)
    if report.problem is not None:
        return f"BROKEN: {report.problem.where()} {report.problem.message}"
    return f"intact ({report.events:,} events of this run re-computed, {report.leaves:,} leaves, signed)"


def user(username: str) -> Any:
    from accounts.models import User

    return User.objects.get(username=username)


def alternate(ours: Any, baseline: Any, runs: int, rounds: int = 5, warm: int = 3) -> tuple[float, float]:
    """Median milliseconds of ``ours`` and ``baseline``, called in alternating rounds so that a
    shared machine slowing down or speeding up affects both alike."""
    for _ in range(warm):
        ours()
        baseline()
    times: dict[Any, list[float]] = {ours: [], baseline: []}
    per_round = max(1, runs // rounds)
    for _ in range(rounds):
        for function in (ours, baseline):
            for _ in range(per_round):
                started = time.perf_counter()
                function()
                times[function].append(time.perf_counter() - started)
    return median(times[ours]) * 1000, median(times[baseline]) * 1000


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def row(label: str, text: str, width: int = 46) -> None:
    print(f"{label:<{width}}: {text}")

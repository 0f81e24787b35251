"""The embedded default, as ``make run`` serves it: a running development server on a SQLite
file, two reviewers of one unit deciding one application at the same moment over HTTP — one
recommends, the other returns it. One is answered 200, the other 409 with the conflict in the
request's language; never 500 ("database is locked", as before the write lock was taken at
BEGIN: SQLite's IMMEDIATE transactions, WAL and a busy timeout).

The server is a separate process (``manage.py runserver``, threaded) on its own database
file; the records are prepared through the services in another process on the same file. To make
the two requests meet inside the database whatever the HTTP timing, the test holds SQLite's write
lock while both are sent and lets go once both are waiting: both then contend for it at once.
(With SQLite's default DEFERRED transactions both read the record, then the second to write
fails at once with "database is locked"; with IMMEDIATE the second waits and finds the record
moved on.)
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]
APPLICANTS = ["applicant_csf_br1", "applicant_gd_fish", "applicant_race_3", "applicant_race_4"]
ROUNDS = len(APPLICANTS)
CONFLICT = {
    ("zh-hans", "recommend"): "记录当前状态为“退回修改”，无法执行“推荐”：可能已被他人处理，请刷新后重试",
    ("zh-hans", "return_for_revision"): (
        "记录当前状态为“已推荐（待中国科协审核）”，无法执行“退回修改”：可能已被他人处理，请刷新后重试"
    ),
    ("en", "recommend"): (
        "The record is now “Returned for revision”, so “Recommend” cannot be performed: "
        "someone may have acted on it meanwhile; please reload and try again"
    ),
    ("en", "return_for_revision"): (
        "The record is now “Recommended (awaiting CAST review)”, so “Return for revision” cannot be "
        "performed: someone may have acted on it meanwhile; please reload and try again"
    ),
}
OPINIONS = {"recommend": "同意推荐。", "return_for_revision": "请补充预算明细。"}
TARGETS = {"recommend": "recommended", "return_for_revision": "returned"}

# Run in the server's database by `manage.py shell`: one application of each unit under CSF (one
# a unit per sub-project), submitted, passed by CSF's content reviewer, with CSF's sealed
# opinion attached.
SETUP = """
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from applications import services as apps
from tests.applications.helpers import PDF_BYTES, form
from workflows import services
from workflows.attachments import attachment_add
from workflows.models import Round

users = {u.username: u for u in User.objects.all()}
round_ = Round.objects.filter(kind="application").order_by("-pk").first()
ids = []
for i, applicant in enumerate(APPLICANTS):
    app = apps.application_create(
        actor=users[applicant],
        data=form(round=round_.pk, subproject="grassroots", name=f"并发测试项目{i}"),
    )
    pdf = SimpleUploadedFile("申报书.pdf", PDF_BYTES, content_type="application/pdf")
    attachment_add(app, kind="sealed_application", upload=pdf, actor=users[applicant])
    services.transition(app, "submit", actor=users[applicant])
    services.checkpoint_record(
        app, stage="recommender", verdict="pass", opinion="内容无问题", actor=users["content_csf"]
    )
    pdf = SimpleUploadedFile("推荐意见.pdf", PDF_BYTES, content_type="application/pdf")
    attachment_add(app, kind="recommender_opinion", upload=pdf, actor=users["reviewer_csf"])
    ids.append(app.pk)
print("IDS", ",".join(map(str, ids)))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, *, token: str | None = None, body: dict | None = None, language: str = "zh-hans"):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept-Language", language)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")[:500]


@pytest.fixture
def server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        AUDIT_CHECKPOINT_DIR=str(tmp_path / "audit"),
        DEMO_PASSWORD="race-demo-password",
        PYTHONPATH=str(ROOT),
    )

    def manage(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    manage("migrate", "--noinput")
    manage("seed_demo")
    units = tmp_path / "units.csv"
    units.write_text(
        "code,name,type,parent,pilot_county\n"
        "CSF-RACE3,中国水产学会渔业分会,society_branch,CSF,false\n"
        "CSF-RACE4,中国水产学会科技服务分会,society_branch,CSF,false\n",
        encoding="utf-8",
    )
    manage("load_organizations", str(units))
    for n in (3, 4):
        manage(
            "create_member",
            *("--username", f"applicant_race_{n}", "--org", f"CSF-RACE{n}", "--role", "applicant"),
            *("--password", "race-demo-password"),
        )
    manage(
        "create_member",
        "--username",
        "reviewer_csf_2",
        "--org",
        "CSF",
        "--role",
        "society_reviewer",
        "--password",
        "race-demo-password",
    )
    printed = manage("shell", stdin=f"APPLICANTS = {APPLICANTS!r}\n{SETUP}")
    ids = [int(i) for i in printed.split("IDS ")[1].strip().split(",")]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(f"{base}/api/v1/audit/public-key/")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield {"base": base, "ids": ids, "manage": manage, "database": str(tmp_path / "db.sqlite3")}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.skipif(is_postgres(), reason="the embedded SQLite default: run once, in the SQLite pass")
def test_two_reviewers_at_once_on_sqlite_get_200_and_409_never_500(server):
    base = server["base"]
    tokens = {
        name: call(f"{base}/api/v1/auth/token/", body={"username": name, "password": "race-demo-password"})[1]["token"]
        for name in ("reviewer_csf", "reviewer_csf_2")
    }
    seen = []
    for number, app_id in enumerate(server["ids"]):
        language = "zh-hans" if number % 2 == 0 else "en"
        moves = [("reviewer_csf", "recommend"), ("reviewer_csf_2", "return_for_revision")]
        barrier = threading.Barrier(2)
        results: dict[str, tuple[int, object]] = {}

        def post(
            user: str, name: str, app_id: int = app_id, language: str = language, barrier=barrier, results=results
        ) -> None:
            url = f"{base}/api/v1/applications/{app_id}/transitions/{name}/"
            barrier.wait(timeout=30)
            results[name] = call(url, token=tokens[user], body={"opinion": OPINIONS[name]}, language=language)

        threads = [threading.Thread(target=post, args=move) for move in moves]
        holder = sqlite3.connect(server["database"], isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held while both requests arrive
        try:
            for thread in threads:
                thread.start()
            time.sleep(1.5)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        for thread in threads:
            thread.join(timeout=90)
        statuses = sorted(status for status, _body in results.values())
        assert statuses == [200, 409], results
        won = next(name for name, (status, _b) in results.items() if status == 200)
        lost = next(name for name, (status, _b) in results.items() if status == 409)
        assert results[lost][1]["detail"] == CONFLICT[(language, lost)], results
        state = call(f"{base}/api/v1/applications/{app_id}/", token=tokens["reviewer_csf"])[1]["state"]
        assert state == TARGETS[won]
        seen.append(won)
    # The audit trail holds exactly the winners' decisions, and the ledger is intact.
    out = server["manage"]("verify_audit")
    assert "audit ledger intact" in out, out
    assert len(seen) == ROUNDS

"""The access matrix, generated: every role (each demo user, and the anonymous visitor) × every
page URL and API endpoint of the resolver × records of the role's own organization and of
others (two applicants' organizations under two recommending units, from draft to expert
review; tests/security/conftest.py).

The oracle is ``workflows.selectors.visible_records`` — the scope rules themselves, not a hand
list:

- nothing leaks: an endpoint about a record the role may not see never answers 2xx, and no
  readable answer (HTML, JSON, CSV, spreadsheet) to any request holds the name of a record the
  role may not see;
- nothing changes: every write (POST, PATCH, DELETE with a body that would act) by a role that
  may not make it — the visitor and the auditor anywhere, anyone on a record they may not see —
  leaves the records, their audit trail, files, checkpoints, tasks, scores, notices,
  objections and batches exactly as they were.

Per-app tests (tests/*/test_api_access.py) pin the exact answers; this one proves the rule
holds on every URL, including those added later.
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from collections import Counter
from typing import Any

from django.test import Client

from accounts.models import User
from documents.models import BatchJob
from tests.applications.builders import GOOD_SCORES
from tests.applications.helpers import PDF_BYTES
from tests.applications.helpers import form as application_form
from tests.nominations.helpers import form as nomination_form
from tests.nominations.helpers import uniform
from tests.security.conftest import MARKERS
from tests.security.routes import UNSAFE, Route, routes, urls
from tests.security.state import snapshot
from workflows.selectors import visible_records

CASES: Counter = Counter()
# Writes that change the caller's own session, not a record (covered by test_csrf and
# test_lockout): signing in or out, the language.
SESSION_WRITES = {"login", "logout", "set_language", "api-token"}
# Writes to the caller's own inbox, which every signed-in role may make (the auditor too).
OWN_WRITES = {
    "api-inbox-read",
    "api-inbox-read-all",
    "api-inbox-preferences",
    "notifications:read",
    "notifications:read-all",
    "notifications:preferences",
}
READABLE = ("text/", "application/json", "application/vnd.oai.openapi")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roles(users: dict[str, User]) -> list[str | None]:
    return [None, *sorted(users)]


def oracle(users: dict[str, User], records: dict[str, Any]) -> dict[str | None, set[str]]:
    """role → the keys of the records it may see."""
    seen: dict[str | None, set[str]] = {None: set()}
    for username, user in users.items():
        seen[username] = {
            key for key, record in records.items() if visible_records(type(record), user=user).filter(pk=record.pk)
        }
    return seen


def client_for(users: dict[str, User], username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(users[username])
    return client


def records_for(route: Route, records: dict[str, Any]) -> list[tuple[str | None, Any]]:
    if route.record_model is None:
        return [(None, None)]
    if route.record_model is object:
        return list(records.items())
    return [(key, r) for key, r in records.items() if isinstance(r, route.record_model)]


def read_through(response: Any) -> bytes:
    """The whole body. A streamed one (a download) must be read to its end: that closes it the
    way the test client expects — closing it otherwise would fire request_finished and close
    the test's database connection (PostgreSQL) in the middle of its transaction."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def readable_text(response: Any) -> str | None:
    """The text of a 200 answer a person or a program reads; None for a PDF, an image, a ZIP,
    and for anything but 200."""
    body = read_through(response)
    if response.status_code != 200:
        return None
    content_type = response.get("Content-Type", "")
    if content_type.startswith(XLSX):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    if content_type.startswith(READABLE):
        return body.decode("utf-8", "replace")
    return None


def pdf(name: str = "x.pdf") -> io.BytesIO:
    f = io.BytesIO(PDF_BYTES)
    f.name = name
    return f


def api_body(route: Route, record: Any, world: dict[str, Any]) -> tuple[Any, str | None]:
    """(body, format) that would act on the record if the caller were allowed to."""
    name = route.name
    records = world["records"].values()
    if name == "application-list":
        return application_form(round=world["round"], subproject="grassroots", name="越权新建项目"), "json"
    if name == "nomination-list":
        return nomination_form("volunteer", round=world["selection_round"]), "json"
    if name.endswith("bulk-transition"):
        model = route.pattern.split("^")[1].split("/")[0]
        ids = [r.pk for r in records if r.record_type().startswith(model)]
        return {"name": "withdraw", "ids": ids, "opinion": "撤回。"}, "json"
    if name == "notice-list":
        ids = [r.pk for r in records if r.record_type() == "nominations.nomination"]
        body = {"round": world["selection_round"], "record_type": "nominations.nomination", "record_ids": ids}
        return {**body, "title": "越权公示", "intro": "现予公示。"}, "json"
    if name in ("notice-finish", "notice-publish", "notice-review"):
        return {"opinion": "同意。", "verdict": "pass"}, "json"
    if name == "objection-decide":
        return {"decision": "uphold", "reason": "经核实，异议成立。"}, "json"
    if name == "api-document-batches":
        return {"round": world["selection_round"]}, "json"
    if record is None:
        return {}, "json"
    is_application = record.record_type() == "applications.application"
    if name.endswith("-detail"):
        return ({"outcomes": "越权改写"} if is_application else {"contact_name": "越权改写"}), "json"
    if name.endswith("-perform-transition"):
        return {"opinion": "同意。"}, "json"
    if name.endswith("-content-reviews"):
        stage = record.flow_class.stage_for_state(record.state) or "recommender"
        return {"stage": stage, "verdict": "pass", "opinion": "导向正确。"}, "json"
    if name.endswith("-assignments"):
        return {"stage": "expert", "assignee": "expert_4"}, "json"
    if name.endswith("-scores"):
        return {"scores": GOOD_SCORES if is_application else uniform(85), "comment": "事迹突出。"}, "json"
    if name.endswith("-attachments"):
        return {"kind": "other" if is_application else "unit_opinion", "file": pdf()}, "multipart"
    return {}, "json"


def page_body(world: dict[str, Any]) -> dict[str, Any]:
    """Every field any form of the site reads, with a value that would act."""
    return {
        "opinion": "同意。",
        "verdict": "pass",
        "stage": "recommender",
        "funding_amount": "60000",
        "kind": "other",
        "file": pdf(),
        "assignee": "expert_4",
        "experts": ["expert_4"],
        "comment": "论证充分。",
        "name": "withdraw",
        "ids": [r.pk for r in world["records"].values()],
        "confirm": "yes",
        "decision": "uphold",
        "reason": "经核实，异议成立。",
        **{f"score-{k}": str(v) for k, v in GOOD_SCORES.items()},
    }


# The same document for everyone, about no record, and slow to generate: read by the visitor
# and by one signed-in role only.
SCHEMA_READERS = {None, "auditor"}


def test_access_matrix(users, world, caplog):
    # Thousands of refusals: Django would log a warning for each (a 500 still raises).
    caplog.set_level(logging.ERROR, logger="django.request")
    started = time.monotonic()
    records = world["records"]
    seen = oracle(users, records)
    # The world is what it should be: each applicant sees its own organization's records and
    # no other's; the auditor sees all; the visitor none.
    assert seen["applicant_csf_br1"] == {"app_csf_submitted", "nom_csf_scored"}
    assert seen["applicant_xuwen"] == {"app_xw_expert", "nom_xw_submitted"}
    assert seen["applicant_gd_fish"] == {"app_fish_draft"}
    assert seen["auditor"] == set(records)
    assert all(seen[role] != set(records) for role in seen if role != "auditor")
    # Django's admin is left out of the routes: nobody of the demo may use it.
    assert not User.objects.filter(is_staff=True).exists() and not User.objects.filter(is_superuser=True).exists()

    every = routes()
    before = snapshot() | {"batches": BatchJob.objects.count()}
    leaks: list[Any] = []
    changes: list[Any] = []
    for role in roles(users):
        client = client_for(users, role)
        hidden = [MARKERS[key] for key in records if key not in seen[role]]
        for route in every:
            for key, record in records_for(route, records):
                visible = key is None or key in seen[role]
                for url in urls(route, world, record):
                    # -- reads
                    if route.name in ("api-schema", "api-docs") and role not in SCHEMA_READERS:
                        continue
                    if route.accepts("get") and not (visible and key is not None and route.renders_pdf):
                        response = client.get(url)
                        CASES["reads"] += 1
                        if not visible and 200 <= response.status_code < 300:
                            leaks.append((role, "GET", url, response.status_code))
                        text = readable_text(response)
                        if text is not None:
                            CASES["bodies read"] += 1
                            found = [m for m in hidden if m in text]
                            if found:
                                leaks.append((role, "GET", url, "shows", found))
                    # -- writes by those who may not make them
                    if route.name in SESSION_WRITES:
                        continue
                    if not (role is None or (role == "auditor" and route.name not in OWN_WRITES) or not visible):
                        continue
                    methods = sorted(set(route.methods or {"post"}) & set(UNSAFE))
                    if route.api and key is not None:
                        methods = sorted({*methods, "delete"})
                    for method in methods:
                        if route.api:
                            response = api_call(client, method, url, *api_body(route, record, world))
                            # Refused, whatever the reason (401, 403, 404, 405, 409, 400).
                            if 200 <= response.status_code < 300:
                                changes.append((role, method.upper(), url, response.status_code))
                        else:
                            # A page may answer a refused form with the form again (200): the
                            # snapshot below is the judge.
                            response = client.post(url, page_body(world))
                        CASES["writes"] += 1
                        read_through(response)
    after = snapshot() | {"batches": BatchJob.objects.count()}
    elapsed = time.monotonic() - started
    print(
        f"\naccess matrix: {len(roles(users))} roles × {len(every)} routes × {len(records)} records: "
        f"{CASES['reads']} reads ({CASES['bodies read']} bodies searched), {CASES['writes']} writes "
        f"by roles without the right, in {elapsed:.1f} s"
    )
    assert leaks == []
    assert changes == []
    assert after == before
    assert CASES["reads"] >= 2500 and CASES["writes"] >= 1500


def api_call(client: Client, method: str, url: str, body: Any, fmt: str) -> Any:
    if fmt == "multipart":
        return client.post(url, body) if method == "post" else getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")

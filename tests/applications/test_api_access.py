"""Who reads and changes which application, over every endpoint of ``/api/v1/applications/``.

Records in several states for three organizations under two recommending units (CSF and
GD-CAST) are built over HTTP; the table ``SEEN_BY`` says, from the scope rules of docs/domain.md,
who may see each one. Everyone else — and any guessed id — gets the same 404 as an id that
does not exist (on every read and write endpoint, the form PDF included; the bulk endpoint
words both alike); the anonymous caller gets 401; lists hold exactly the visible ids; the
auditor reads everything and changes nothing; experts' identities and scores are for CAST
staff, the auditor and each expert themselves.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from applications.models import Application
from tests.applications.builders import GOOD_SCORES, URL, application_in, ok
from tests.applications.helpers import PDF_BYTES
from tests.conftest import api_as, make_round
from workflows.models import Attachment, AuditEvent, Checkpoint, ReviewAssignment, Revision, Round, Score

APPLICANTS = ["applicant_csf_br1", "applicant_gd_fish", "applicant_xuwen"]
REVIEWERS = ["reviewer_csf", "reviewer_gd_cast"]
CONTENT = ["content_csf", "content_gd_cast", "content_cast"]
EXPERTS = ["expert_1", "expert_2", "expert_3", "expert_4", "expert_5"]
USERS = [*APPLICANTS, *REVIEWERS, *CONTENT, "cast_staff", *EXPERTS, "auditor"]

# name: (round, state, applicant, experts assigned after reaching the state)
RECORDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # Round A (the demo round). The not-recommended one is built first: only live
    # applications count as a second application of the same unit (多头申报).
    "csf_not_recommended": ("A", "not_recommended", "applicant_csf_br1", ()),
    "csf_withdrawn": ("A", "withdrawn_after_submit", "applicant_csf_br1", ()),
    "csf_withdrawn_draft": ("A", "withdrawn", "applicant_csf_br1", ()),
    "csf_draft": ("A", "draft", "applicant_csf_br1", ()),
    "csf_submitted": ("A", "submitted", "applicant_csf_br1", ()),
    "fish_submitted": ("A", "submitted", "applicant_gd_fish", ()),
    "xw_draft": ("A", "draft", "applicant_xuwen", ()),
    "xw_submitted": ("A", "submitted", "applicant_xuwen", ()),
    # Round B
    "csf_recommended": ("B", "recommended", "applicant_csf_br1", ()),
    "xw_recommended": ("B", "recommended", "applicant_xuwen", ()),
    # Round C
    "csf_expert": ("C", "expert_review", "applicant_csf_br1", ("expert_1",)),
    "xw_expert": ("C", "expert_review", "applicant_xuwen", ("expert_1", "expert_5")),
    # Round D
    "csf_returned": ("D", "returned", "applicant_csf_br1", ()),
    "xw_proposed": ("D", "proposed", "applicant_xuwen", ()),  # expert_1..3 assigned and scored
}

# Who sees each record (docs/domain.md, scope rules): the applicant's organization; the recommending
# unit's reviewer once submitted; its content reviewer while the record waits on it or after
# reviewing it; CAST's content reviewer at the cast/publication stages or after reviewing;
# CAST staff from “recommended” on; assigned experts without a conflict; the auditor always.
SEEN_BY: dict[str, set[str]] = {
    "csf_not_recommended": {"applicant_csf_br1", "reviewer_csf"},
    "csf_withdrawn": {"applicant_csf_br1", "reviewer_csf"},
    # Withdrawn before it was ever submitted: still nobody's business but the applicant's.
    "csf_withdrawn_draft": {"applicant_csf_br1"},
    "csf_draft": {"applicant_csf_br1"},
    "csf_submitted": {"applicant_csf_br1", "reviewer_csf", "content_csf"},
    "fish_submitted": {"applicant_gd_fish", "reviewer_csf", "content_csf"},
    "xw_draft": {"applicant_xuwen"},
    "xw_submitted": {"applicant_xuwen", "reviewer_gd_cast", "content_gd_cast"},
    "csf_recommended": {"applicant_csf_br1", "reviewer_csf", "content_csf", "cast_staff"},
    "xw_recommended": {"applicant_xuwen", "reviewer_gd_cast", "content_gd_cast", "cast_staff"},
    "csf_expert": {"applicant_csf_br1", "reviewer_csf", "content_csf", "cast_staff", "content_cast", "expert_1"},
    "xw_expert": {
        "applicant_xuwen",
        "reviewer_gd_cast",
        "content_gd_cast",
        "cast_staff",
        "content_cast",
        "expert_1",
        "expert_5",
    },
    "csf_returned": {"applicant_csf_br1", "reviewer_csf"},
    "xw_proposed": {
        "applicant_xuwen",
        "reviewer_gd_cast",
        "content_gd_cast",
        "cast_staff",
        "content_cast",
        "expert_1",
        "expert_2",
        "expert_3",
    },
}
for _seen in SEEN_BY.values():
    _seen.add("auditor")


def state_of(name: str) -> str:
    path = RECORDS[name][1]
    return "withdrawn" if path.startswith("withdrawn") else path


NOT_FOUND = {"detail": "记录不存在或您无权查看", "errors": ["记录不存在或您无权查看"]}
NOT_AUTHENTICATED = {"detail": "身份认证信息未提供。", "errors": ["身份认证信息未提供。"]}


@pytest.fixture
def world(users) -> dict[str, Any]:
    rounds = {"A": Round.objects.get(kind="application").pk}
    for key in "BCD":
        rounds[key] = make_round(title=f"访问测试批次 {key}").pk
    ids: dict[str, int] = {}
    for name, (round_key, path, applicant, experts) in RECORDS.items():
        ids[name] = application_in(users, rounds[round_key], path, applicant, experts=experts)
        assert Application.objects.get(pk=ids[name]).state == state_of(name), name
    attachments = {
        name: list(
            Attachment.objects.filter(record_id=pk, record_type="applications.application").values_list("pk", flat=True)
        )
        for name, pk in ids.items()
    }
    return {"ids": ids, "rounds": rounds, "attachments": attachments, "missing": max(ids.values()) + 1000}


def client_of(users, username: str | None):
    return api_as(users[username] if username else None)


def listed_ids(client, **params) -> list[int]:
    """Every id of the paginated list, following ``next``."""
    found: list[int] = []
    response = client.get(URL, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        found.extend(row["id"] for row in body["results"])
        if not body["next"]:
            return found
        response = client.get(body["next"])


def answer(response: Any) -> tuple[int, Any]:
    """(status, JSON body or None): a download is no JSON."""
    is_json = response.get("Content-Type", "").startswith("application/json")
    return response.status_code, response.json() if is_json else None


def read_paths(pk: Any, aids: list[int]) -> list[str]:
    paths = [
        f"{URL}{pk}/",
        f"{URL}{pk}/attachments/",
        f"{URL}{pk}/history/",
        f"{URL}{pk}/transitions/",
        f"{URL}{pk}/content-reviews/",
        f"{URL}{pk}/scores/",
        f"{URL}{pk}/diff/",
        f"{URL}{pk}/assignments/",
    ]
    paths += [f"{URL}{pk}/attachments/{aid}/" for aid in aids]
    return paths


def hidden_paths(pk: Any, aids: list[int]) -> list[str]:
    """Every read endpoint, the application form PDF included (rendered only when visible)."""
    return [*read_paths(pk, aids), f"{URL}{pk}/pdf/"]


def bulk(client, pk: int):
    return client.post(f"{URL}bulk-transition/", {"name": "withdraw", "ids": [pk], "opinion": "撤回。"}, format="json")


def not_listed(pk: int) -> tuple[int, dict]:
    message = f"以下申报不存在或您无权查看：{pk}"
    return 400, {"detail": message, "errors": [message]}


def pdf(name: str = "x.pdf") -> io.BytesIO:
    f = io.BytesIO(PDF_BYTES)
    f.name = name
    return f


# The first transition out of each state (what a writer would try); final states: withdraw.
TRY_TRANSITION = {
    "draft": "submit",
    "submitted": "recommend",
    "returned": "resubmit",
    "recommended": "pass_formal_review",
    "expert_review": "propose",
    "proposed": "publish_notice",
    "not_recommended": "withdraw",
    "withdrawn": "withdraw",
}


def writes(client, pk: Any, state: str = "draft") -> list[tuple[str, Any]]:
    """Every write endpoint, tried once: (label, response)."""
    return [
        ("PATCH", client.patch(f"{URL}{pk}/", {"outcomes": "改写的成果"}, format="json")),
        (
            "POST attachments",
            client.post(f"{URL}{pk}/attachments/", {"kind": "sealed_application", "file": pdf()}, format="multipart"),
        ),
        (
            "POST transition",
            client.post(
                f"{URL}{pk}/transitions/{TRY_TRANSITION[state]}/",
                {"opinion": "同意。", "data": {"funding_amount": "60000.00"}},
                format="json",
            ),
        ),
        (
            "POST content-reviews",
            client.post(
                f"{URL}{pk}/content-reviews/",
                {"stage": "recommender", "verdict": "pass", "opinion": "通过"},
                format="json",
            ),
        ),
        ("POST scores", client.post(f"{URL}{pk}/scores/", {"scores": GOOD_SCORES, "comment": "好"}, format="json")),
        (
            "POST assignments",
            client.post(f"{URL}{pk}/assignments/", {"stage": "expert", "assignee": "expert_4"}, format="json"),
        ),
    ]


def fingerprint() -> tuple:
    """Everything a write could change."""
    return (
        sorted(Application.objects.values_list("pk", "state", "updated_at", "outcomes", "current_revision_hash")),
        AuditEvent.objects.count(),
        sorted(Attachment.objects.values_list("pk", "sha256")),
        Checkpoint.objects.count(),
        sorted(ReviewAssignment.objects.values_list("pk", "status")),
        sorted(Score.objects.filter(record_type="applications.application").values_list("pk", "total")),
        Revision.objects.count(),
    )


def test_lists_hold_exactly_the_visible_ids(users, world):
    ids = world["ids"]
    problems = []
    for username in USERS:
        expected = sorted(ids[name] for name, seen in SEEN_BY.items() if username in seen)
        got = listed_ids(client_of(users, username))
        if sorted(got) != expected or len(got) != len(set(got)):
            names = {v: k for k, v in ids.items()}
            problems.append((username, sorted(names.get(i, i) for i in got), sorted(names[i] for i in expected)))
        # Filters narrow the visible set; they never widen it.
        for state in ("draft", "submitted", "expert_review"):
            want = sorted(ids[name] for name, seen in SEEN_BY.items() if username in seen and state_of(name) == state)
            if sorted(listed_ids(client_of(users, username), state=state)) != want:
                problems.append((username, "state", state))
        round_c = world["rounds"]["C"]
        want = sorted(ids[name] for name, seen in SEEN_BY.items() if username in seen and RECORDS[name][0] == "C")
        if sorted(listed_ids(client_of(users, username), round=round_c)) != want:
            problems.append((username, "round C"))
    assert problems == []
    response = client_of(users, None).get(URL)
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)


def test_reads_in_scope_and_404_outside(users, world):
    ids, missing = world["ids"], world["missing"]
    problems: list[Any] = []
    for username in USERS:
        client = client_of(users, username)
        # A guessed id that does not exist — the answer every out-of-scope id must give.
        for path in hidden_paths(missing, [1]) + hidden_paths("abc", []):
            response = client.get(path)
            if answer(response) != (404, NOT_FOUND):
                problems.append((username, path, response.status_code))
        for name, pk in ids.items():
            aids = world["attachments"][name]
            visible = username in SEEN_BY[name]
            for path in read_paths(pk, aids) if visible else hidden_paths(pk, aids):
                response = client.get(path)
                if visible and response.status_code != 200:
                    problems.append((username, name, path, response.status_code, "expected 200"))
                if not visible and answer(response) != (404, NOT_FOUND):
                    problems.append((username, name, path, response.status_code, "expected the 404 of a missing id"))
            if visible:
                # Another record's attachment id through a visible record: not found.
                foreign = [a for other, a_ids in world["attachments"].items() if other != name for a in a_ids]
                response = client.get(f"{URL}{pk}/attachments/{foreign[0]}/")
                if answer(response) != (404, NOT_FOUND):
                    problems.append((username, name, "foreign attachment", response.status_code))
    assert problems == []


def test_anonymous_gets_401_everywhere(users):
    client = client_of(users, None)
    round_id = Round.objects.get(kind="application").pk
    pk = application_in(users, round_id, "submitted")
    aids = list(
        Attachment.objects.filter(record_id=pk, record_type="applications.application").values_list("pk", flat=True)
    )
    paths = [URL, f"{URL}ranking/?round={round_id}", f"{URL}{pk}/pdf/"]
    paths += read_paths(pk, aids) + read_paths(pk + 1000, [1])
    for path in paths:
        response = client.get(path)
        assert (path, response.status_code, response.json()) == (path, 401, NOT_AUTHENTICATED)
    before = fingerprint()
    assert client.post(URL, {"name": "x"}, format="json").status_code == 401
    for label, response in writes(client, pk, "submitted"):
        assert (label, response.status_code) == (label, 401)
    assert bulk(client, pk).status_code == 401
    assert fingerprint() == before


def test_scores_assignments_and_ranking_are_for_cast_and_the_expert_themselves(users, world):
    ids = world["ids"]
    proposed = ids["xw_proposed"]
    expect_scores = {
        "cast_staff": ["expert_1", "expert_2", "expert_3"],
        "auditor": ["expert_1", "expert_2", "expert_3"],
        "expert_1": ["expert_1"],
        "expert_2": ["expert_2"],
        "expert_3": ["expert_3"],
    }
    for username in sorted(SEEN_BY["xw_proposed"]):
        client = client_of(users, username)
        scores = [s["expert"] for s in ok(client.get(f"{URL}{proposed}/scores/"))]
        assignments = [a["assignee"] for a in ok(client.get(f"{URL}{proposed}/assignments/"))]
        assert (username, scores) == (username, expect_scores.get(username, []))
        assert (username, assignments) == (username, expect_scores.get(username, []))
        # The history does not tell others who the experts are nor how they scored.
        actions = [e["action"] for e in ok(client.get(f"{URL}{proposed}/history/"))]
        own = expect_scores.get(username, [])
        assert (username, actions.count("assign"), actions.count("score")) == (username, len(own), len(own))
    ranked = {
        ids["csf_expert"]: ("C", 0),
        ids["xw_expert"]: ("C", 0),
        ids["xw_proposed"]: ("D", 3),
    }
    for username in USERS:
        client = client_of(users, username)
        for key in "ABCD":
            rows = ok(client.get(f"{URL}ranking/", {"round": world["rounds"][key]}))
            want = (
                sorted(pk for pk, (r, _n) in ranked.items() if r == key)
                if username in ("cast_staff", "auditor")
                else []
            )
            assert (username, key, sorted(r["id"] for r in rows)) == (username, key, want)


def test_nobody_changes_a_record_outside_their_scope(users, world):
    ids, missing = world["ids"], world["missing"]
    before = fingerprint()
    problems = []
    for username in USERS:
        client = client_of(users, username)
        for label, response in writes(client, missing):
            if (response.status_code, response.json()) != (404, NOT_FOUND):
                problems.append((username, "missing id", label, response.status_code))
        response = bulk(client, missing)
        if (response.status_code, response.json()) != not_listed(missing):
            problems.append((username, "missing id", "bulk", response.status_code))
        for name, pk in ids.items():
            if username in SEEN_BY[name]:
                continue
            # The bulk endpoint words an out-of-scope id exactly as a missing one.
            response = bulk(client, pk)
            if (response.status_code, response.json()) != not_listed(pk):
                problems.append((username, name, "bulk", response.status_code, response.json()))
            for label, response in writes(client, pk, state_of(name)):
                if (response.status_code, response.json()) != (404, NOT_FOUND):
                    problems.append((username, name, label, response.status_code))
    assert problems == []
    assert fingerprint() == before


def test_the_auditor_reads_everything_and_changes_nothing(users, world):
    client = client_of(users, "auditor")
    before = fingerprint()
    problems = []
    for name, pk in world["ids"].items():
        response = bulk(client, pk)
        # As for one record: 409 when the state offers nothing of the kind, else 400 (refused).
        if response.status_code not in (400, 409):
            problems.append((name, "bulk", response.status_code))
        for label, response in writes(client, pk, state_of(name)):
            # 403: no role for it; 409: nothing of the kind is possible in this state.
            if response.status_code not in (403, 409):
                problems.append((name, label, response.status_code, response.json()))
        if ok(client.get(f"{URL}{pk}/transitions/")) != []:
            problems.append((name, "transitions offered to the auditor"))
    assert problems == []
    assert fingerprint() == before

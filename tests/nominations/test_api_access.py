"""Who reads and changes which nomination, over every endpoint of ``/api/v1/nominations/``, and
what the public sees of the selection.

Nominations in many states, of three organizations under two recommending units (CSF and
GD-CAST), are built over HTTP; ``SEEN_BY`` says, from the scope rules of docs/domain.md, who may see
each one. Everyone else — and any guessed id — gets the same 404 as an id that does not exist;
the anonymous caller gets 401; lists hold exactly the visible ids. The public winners list and
the public notice pages show the published summary and nothing more.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from rest_framework.test import APIClient

from nominations.models import Nomination
from notices.models import Objection
from tests.conftest import api_as, make_round
from tests.nominations.helpers import (
    CONTACT_PHONE,
    FORMS,
    OBJECTOR,
    PDF_BYTES,
    URL,
    decide,
    end_notice_period,
    entry_of,
    file_objection,
    jpeg,
    nomination_in,
    notice_draft,
    notice_finish,
    notice_for,
    ok,
    uniform,
)
from workflows.models import Attachment, AuditEvent, Checkpoint, ReviewAssignment, Revision, Round, Score

APPLICANTS = ["applicant_csf_br1", "applicant_gd_fish", "applicant_xuwen"]
REVIEWERS = ["reviewer_csf", "reviewer_gd_cast"]
CONTENT = ["content_csf", "content_gd_cast", "content_cast"]
EXPERTS = ["expert_1", "expert_2", "expert_3", "expert_4", "expert_5"]
USERS = [*APPLICANTS, *REVIEWERS, *CONTENT, "cast_staff", *EXPERTS, "auditor"]

# name: (category, state, applicant, experts assigned and scoring on the way)
RECORDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "csf_draft": ("volunteer", "draft", "applicant_csf_br1", ()),
    "csf_withdrawn": ("team", "withdrawn_after_submit", "applicant_csf_br1", ()),
    "csf_submitted": ("volunteer", "submitted", "applicant_csf_br1", ()),
    "fish_submitted": ("team", "submitted", "applicant_gd_fish", ()),
    "xw_draft": ("site", "draft", "applicant_xuwen", ()),
    "xw_submitted": ("project", "submitted", "applicant_xuwen", ()),
    "csf_not_recommended": ("project", "not_recommended", "applicant_csf_br1", ()),
    "fish_returned": ("site", "returned", "applicant_gd_fish", ()),
    "fish_recommended": ("volunteer", "recommended", "applicant_gd_fish", ()),
    "xw_recommended": ("team", "recommended", "applicant_xuwen", ()),
    "xw_ineligible": ("volunteer", "ineligible", "applicant_xuwen", ()),
    "csf_expert": ("project", "scored", "applicant_csf_br1", ("expert_1",)),
    "xw_expert": ("site", "scored", "applicant_xuwen", ("expert_1", "expert_5")),
    "xw_shortlisted": ("project", "shortlisted", "applicant_xuwen", ("expert_1", "expert_2", "expert_3")),
}
STATE_OF = {
    name: {"scored": "expert_review", "withdrawn_after_submit": "withdrawn"}.get(spec[1], spec[1])
    for name, spec in RECORDS.items()
}

# Who sees each record (docs/domain.md, scope rules): the applicant's organization; the recommending
# unit's reviewer once submitted; its content reviewer while the record waits on it or after
# reviewing it; CAST's content reviewer at the cast/publication stages; CAST staff from
# “recommended” on; assigned experts without a conflict; the auditor always.
SEEN_BY: dict[str, set[str]] = {
    "csf_draft": {"applicant_csf_br1"},
    "csf_withdrawn": {"applicant_csf_br1", "reviewer_csf"},
    "csf_submitted": {"applicant_csf_br1", "reviewer_csf", "content_csf"},
    "fish_submitted": {"applicant_gd_fish", "reviewer_csf", "content_csf"},
    "xw_draft": {"applicant_xuwen"},
    "xw_submitted": {"applicant_xuwen", "reviewer_gd_cast", "content_gd_cast"},
    "csf_not_recommended": {"applicant_csf_br1", "reviewer_csf"},
    "fish_returned": {"applicant_gd_fish", "reviewer_csf"},
    "fish_recommended": {"applicant_gd_fish", "reviewer_csf", "content_csf", "cast_staff"},
    "xw_recommended": {"applicant_xuwen", "reviewer_gd_cast", "content_gd_cast", "cast_staff"},
    "xw_ineligible": {"applicant_xuwen", "reviewer_gd_cast", "content_gd_cast", "cast_staff"},
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
    "xw_shortlisted": {
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

# Who reads the eligibility report of a visible record: CAST staff and the auditor.
ELIGIBILITY_READERS = {"cast_staff", "auditor"}

NOT_FOUND = {"detail": "记录不存在或您无权查看", "errors": ["记录不存在或您无权查看"]}
NOT_AUTHENTICATED = {"detail": "身份认证信息未提供。", "errors": ["身份认证信息未提供。"]}


@pytest.fixture
def world(users) -> dict[str, Any]:
    round_ = Round.objects.get(kind="selection")
    ids: dict[str, int] = {}
    for name, (category, target, applicant, experts) in RECORDS.items():
        ids[name] = nomination_in(users, round_.pk, category, target, applicant, experts=experts)
        assert Nomination.objects.get(pk=ids[name]).state == STATE_OF[name], name
    attachments = {
        name: list(
            Attachment.objects.filter(record_id=pk, record_type="nominations.nomination").values_list("pk", flat=True)
        )
        for name, pk in ids.items()
    }
    return {"ids": ids, "round": round_.pk, "attachments": attachments, "missing": max(ids.values()) + 1000}


def client_of(users, username: str | None) -> APIClient:
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
        f"{URL}{pk}/assignments/",
        f"{URL}{pk}/eligibility/",
    ]
    return paths + [f"{URL}{pk}/attachments/{aid}/" for aid in aids]


def upload_file(content: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


# The first transition out of each state (what a writer would try); final states: withdraw.
TRY_TRANSITION = {
    "draft": "submit",
    "submitted": "recommend",
    "returned": "resubmit",
    "recommended": "confirm_eligible",
    "expert_review": "shortlist",
    "shortlisted": "publish_notice",
    "not_recommended": "withdraw",
    "withdrawn": "withdraw",
    "ineligible": "withdraw",
}


def writes(client, pk: Any, state: str = "draft") -> list[tuple[str, Any]]:
    """Every write endpoint, tried once: (label, response)."""
    return [
        ("PATCH", client.patch(f"{URL}{pk}/", {"deeds": "改写的事迹"}, format="json")),
        (
            "POST attachments",
            client.post(
                f"{URL}{pk}/attachments/", {"kind": "photo", "file": upload_file(jpeg(), "p.jpg")}, format="multipart"
            ),
        ),
        (
            "POST recommender opinion",
            client.post(
                f"{URL}{pk}/attachments/",
                {"kind": "recommender_opinion", "file": upload_file(PDF_BYTES, "o.pdf")},
                format="multipart",
            ),
        ),
        (
            "POST transition",
            client.post(
                f"{URL}{pk}/transitions/{TRY_TRANSITION[state]}/",
                {"opinion": "近两年未发现违法违纪行为，同意。"},
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
        ("POST scores", client.post(f"{URL}{pk}/scores/", {"scores": uniform(90), "comment": "好"}, format="json")),
        (
            "POST assignments",
            client.post(f"{URL}{pk}/assignments/", {"stage": "expert", "assignee": "expert_4"}, format="json"),
        ),
    ]


def fingerprint() -> tuple:
    """Everything a write could change."""
    return (
        sorted(Nomination.objects.values_list("pk", "state", "updated_at", "deeds", "current_revision_hash")),
        AuditEvent.objects.count(),
        sorted(Attachment.objects.values_list("pk", "sha256")),
        Checkpoint.objects.count(),
        sorted(ReviewAssignment.objects.values_list("pk", "status")),
        sorted(Score.objects.filter(record_type="nominations.nomination").values_list("pk", "total")),
        Revision.objects.count(),
    )


def test_lists_hold_exactly_the_visible_ids(users, world):
    ids = world["ids"]
    names = {v: k for k, v in ids.items()}
    problems = []
    for username in USERS:
        client = client_of(users, username)
        expected = sorted(ids[name] for name, seen in SEEN_BY.items() if username in seen)
        got = listed_ids(client)
        if sorted(got) != expected or len(got) != len(set(got)):
            problems.append((username, sorted(names.get(i, i) for i in got), sorted(names[i] for i in expected)))
        # Filters narrow the visible set; they never widen it.
        for state in ("draft", "submitted", "expert_review", "recommended,ineligible"):
            want = sorted(ids[n] for n, seen in SEEN_BY.items() if username in seen and STATE_OF[n] in state.split(","))
            if sorted(listed_ids(client, state=state)) != want:
                problems.append((username, "state", state))
        for category in ("volunteer", "site"):
            want = sorted(ids[n] for n, seen in SEEN_BY.items() if username in seen and RECORDS[n][0] == category)
            if sorted(listed_ids(client, category=category, round=world["round"])) != want:
                problems.append((username, "category", category))
    assert problems == []
    response = client_of(users, None).get(URL)
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)


def test_reads_in_scope_and_404_outside(users, world):
    ids, missing = world["ids"], world["missing"]
    problems: list[Any] = []
    for username in USERS:
        client = client_of(users, username)
        # A guessed id that does not exist — the answer every out-of-scope id must give.
        for path in read_paths(missing, [1]) + read_paths("abc", []):
            response = client.get(path)
            if answer(response) != (404, NOT_FOUND):
                problems.append((username, path, response.status_code))
        for name, pk in ids.items():
            visible = username in SEEN_BY[name]
            for path in read_paths(pk, world["attachments"][name]):
                response = client.get(path)
                expect_ok = visible and (not path.endswith("/eligibility/") or username in ELIGIBILITY_READERS)
                if expect_ok and response.status_code != 200:
                    problems.append((username, name, path, response.status_code, "expected 200"))
                if not expect_ok and answer(response) != (404, NOT_FOUND):
                    problems.append((username, name, path, response.status_code, "expected the 404 of a missing id"))
            if visible:
                # Another record's attachment id through a visible record: not found.
                foreign = next(a for other, a_ids in world["attachments"].items() if other != name for a in a_ids)
                response = client.get(f"{URL}{pk}/attachments/{foreign}/")
                if answer(response) != (404, NOT_FOUND):
                    problems.append((username, name, "foreign attachment", response.status_code))
    assert problems == []


def test_anonymous_gets_401_everywhere(users, world):
    client = client_of(users, None)
    pk = world["ids"]["csf_submitted"]
    paths = [URL, f"{URL}ranking/?round={world['round']}&category=volunteer"]
    paths += read_paths(pk, world["attachments"]["csf_submitted"]) + read_paths(world["missing"], [1])
    for path in paths:
        response = client.get(path)
        assert (path, response.status_code, response.json()) == (path, 401, NOT_AUTHENTICATED)
    before = fingerprint()
    assert client.post(URL, {"nominee_name": "x"}, format="json").status_code == 401
    assert client.post(f"{URL}bulk-transition/", {"name": "shortlist", "ids": [pk]}, format="json").status_code == 401
    for label, response in writes(client, pk, "submitted"):
        assert (label, response.status_code, response.json()) == (label, 401, NOT_AUTHENTICATED)
    assert fingerprint() == before


def test_scores_assignments_and_ranking_are_for_cast_and_the_expert_themselves(users, world):
    ids = world["ids"]
    shortlisted = ids["xw_shortlisted"]
    expect = {
        "cast_staff": ["expert_1", "expert_2", "expert_3"],
        "auditor": ["expert_1", "expert_2", "expert_3"],
        "expert_1": ["expert_1"],
        "expert_2": ["expert_2"],
        "expert_3": ["expert_3"],
    }
    for username in sorted(SEEN_BY["xw_shortlisted"]):
        client = client_of(users, username)
        scores = [s["expert"] for s in ok(client.get(f"{URL}{shortlisted}/scores/"))]
        assignments = [a["assignee"] for a in ok(client.get(f"{URL}{shortlisted}/assignments/"))]
        own = expect.get(username, [])
        assert (username, scores, assignments) == (username, own, own)
        # The history does not tell others who the experts are nor how they scored.
        actions = [e["action"] for e in ok(client.get(f"{URL}{shortlisted}/history/"))]
        assert (username, actions.count("assign"), actions.count("score")) == (username, len(own), len(own))
    ranked = {
        "project": sorted([ids["csf_expert"], ids["xw_shortlisted"]]),
        "site": [ids["xw_expert"]],
        "volunteer": [],
        "team": [],
    }
    for username in USERS:
        client = client_of(users, username)
        for category, want in ranked.items():
            rows = ok(client.get(f"{URL}ranking/", {"round": world["round"], "category": category}))
            # Only CAST staff and the auditor read a ranking; for anyone else it holds nothing.
            expected = want if username in ("cast_staff", "auditor") else []
            assert (username, category, sorted(r["id"] for r in rows)) == (username, category, expected)


def test_nobody_changes_a_record_outside_their_scope(users, world):
    ids, missing = world["ids"], world["missing"]
    before = fingerprint()
    problems = []
    for username in USERS:
        client = client_of(users, username)
        for label, response in writes(client, missing):
            if (response.status_code, response.json()) != (404, NOT_FOUND):
                problems.append((username, "missing id", label, response.status_code))
        for name, pk in ids.items():
            if username in SEEN_BY[name]:
                continue
            for label, response in writes(client, pk, STATE_OF[name]):
                if (response.status_code, response.json()) != (404, NOT_FOUND):
                    problems.append((username, name, label, response.status_code))
            # A bulk action names records outside the caller's scope as not found, and moves none.
            response = client.post(
                f"{URL}bulk-transition/", {"name": TRY_TRANSITION[STATE_OF[name]], "ids": [pk]}, format="json"
            )
            if (response.status_code, response.json()["errors"]) != (400, [f"以下推荐不存在或您无权查看：{pk}"]):
                problems.append((username, name, "bulk", response.status_code))
    assert problems == []
    assert fingerprint() == before


def test_the_auditor_reads_everything_and_changes_nothing(users, world):
    client = client_of(users, "auditor")
    before = fingerprint()
    problems = []
    for name, pk in world["ids"].items():
        for label, response in writes(client, pk, STATE_OF[name]):
            # 403: no role for it; 409: nothing of the kind is possible in this state.
            if response.status_code not in (403, 409):
                problems.append((name, label, response.status_code, response.json()))
        if ok(client.get(f"{URL}{pk}/transitions/")) != []:
            problems.append((name, "transitions offered to the auditor"))
        if not ok(client.get(f"{URL}{pk}/eligibility/")):
            problems.append((name, "no eligibility report for the auditor"))
    assert problems == []
    assert fingerprint() == before


def test_a_draft_withdrawn_unsubmitted_stays_private(users):
    round_id = Round.objects.get(kind="selection").pk
    pk = nomination_in(users, round_id, "team", "withdrawn")
    assert client_of(users, "reviewer_csf").get(f"{URL}{pk}/").status_code == 404
    assert pk not in listed_ids(client_of(users, "reviewer_csf"))


# -- what the public sees ----------------------------------------------------------------------

LONG_DEEDS = "事迹" * 150 + "（以下为不公开的详细说明：联系电话13800138000）" + "补充" * 100


@pytest.fixture
def public_world(users) -> dict[str, Any]:
    """Two shortlisted nominations on a published notice (one with a long deeds narrative), one
    on a notice still in draft, one not selected; an objection filed with the objector's
    identity number and phone."""
    round_ = make_round(kind="selection", title="公开信息测试批次")
    published_vol = nomination_in(
        users, round_.pk, "volunteer", "shortlisted", nominee_name="公示志愿者甲", deeds=LONG_DEEDS
    )
    published_team = nomination_in(
        users, round_.pk, "team", "shortlisted", "applicant_xuwen", nominee_name="公示服务队乙"
    )
    unpublished = nomination_in(
        users, round_.pk, "site", "shortlisted", "applicant_gd_fish", nominee_name="未公示服务点丙"
    )
    not_selected = nomination_in(users, round_.pk, "project", "not_selected", nominee_name="未入选项目丁")
    notice = notice_for(users, round_.pk, [published_vol, published_team], title="拟入选名单公示（公开测试）")
    draft = notice_draft(users, round_.pk, [unpublished], title="尚未发布的公示")
    reference = ok(file_objection(notice["id"], entry_of(notice, published_vol)), 201)["reference"]
    return {
        "round": round_,
        "notice": notice,
        "draft": draft,
        "ids": {"vol": published_vol, "team": published_team, "unpublished": unpublished, "not_selected": not_selected},
        "reference": reference,
    }


# What must never reach the public: phones, identity and platform numbers, birth dates, the
# objector's data, the unpublished nominees, the deeds beyond the published summary.
SECRETS = [
    CONTACT_PHONE,
    FORMS["volunteer"]["volunteer_number"],
    "1978-05-12",
    OBJECTOR["identity"],
    OBJECTOR["phone"],
    OBJECTOR["email"],
    OBJECTOR["name"],
    "未公示服务点丙",
    "未入选项目丁",
    "尚未发布的公示",
    "不公开的详细说明",
]


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_the_public_sees_only_the_published_summary(users, public_world):
    anonymous = APIClient()
    notice, draft = public_world["notice"], public_world["draft"]
    ids = public_world["ids"]

    listing = anonymous.get("/api/v1/public/notices/")
    assert listing.status_code == 200
    detail = anonymous.get(f"/api/v1/public/notices/{notice['id']}/")
    assert detail.status_code == 200
    body = detail.json()
    assert sorted(body) == [
        "accepting_unit",
        "body",
        "contact_address",
        "contact_email",
        "contact_person",
        "contact_phone",
        "ends_on",
        "entries",
        "id",
        "intro",
        "phase",
        "phase_label",
        "starts_on",
        "status",
        "status_label",
        "title",
    ]
    assert [(e["title"], sorted(e)) for e in body["entries"]] == [
        ("公示志愿者甲", ["id", "position", "summary", "title"]),
        ("公示服务队乙", ["id", "position", "summary", "title"]),
    ]
    summary = body["entries"][0]["summary"]
    assert summary == f"十佳科技志愿者 · 中国水产学会科普工作委员会 · {'事迹' * 150}……"
    # The draft notice does not exist for the public.
    assert anonymous.get(f"/api/v1/public/notices/{draft['id']}/").status_code == 404
    pages = [
        anonymous.get("/public/notices/"),
        anonymous.get(f"/public/notices/{notice['id']}/"),
    ]
    assert [p.status_code for p in pages] == [200, 200]
    assert anonymous.get(f"/public/notices/{draft['id']}/").status_code == 404
    for response in [listing, detail, *pages]:
        assert leaks(response.content.decode()) == [], response.request["PATH_INFO"]
    assert "公示志愿者甲" in pages[1].content.decode()

    # No winners before the award.
    round_id = public_world["round"].pk
    assert anonymous.get("/api/v1/public/winners/", {"round": round_id}).json() == []
    # The objection is dismissed, the period ends, the two are awarded.
    objection = Objection.objects.get(reference=public_world["reference"])
    ok(decide(users, objection.pk, "dismiss", "经核实，服务记录真实，异议不成立。"))
    end_notice_period(notice["id"])
    ok(notice_finish(users, notice["id"]))
    winners = anonymous.get("/api/v1/public/winners/", {"round": round_id})
    assert winners.status_code == 200
    assert [sorted(w) for w in winners.json()] == [
        ["category", "category_label", "certificate_number", "id", "nominee_name", "organization_name"]
    ] * 2
    assert sorted(w["id"] for w in winners.json()) == sorted([ids["vol"], ids["team"]])
    assert leaks(winners.content.decode()) == []
    for path in ("/api/v1/public/notices/", f"/api/v1/public/notices/{notice['id']}/", "/public/notices/"):
        assert leaks(anonymous.get(path).content.decode()) == [], path
    # The winners list needs its round.
    response = anonymous.get("/api/v1/public/winners/")
    assert (response.status_code, response.json()["errors"]) == (400, ["请指定批次编号 round"])

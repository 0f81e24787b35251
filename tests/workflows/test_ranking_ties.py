"""Ties in the ranking are ties: equal mean weighted scores share a rank ("2=", ``tied``),
whatever the spread of the scores or the order the records were created in; the order within
a tie (by name) decides nothing — the panel or the 审定 meeting does."""

from __future__ import annotations

from typing import Any

from tests.conftest import api_as, make_round
from tests.nominations.helpers import URL, act, nomination_in, ok, review

TIE_RULE = (
    "均分相同者为并列，名次相同（标“=”），由评审组或审定会议决定，不按离散度或提交先后排定；"
    "并列者之间按名称排列，仅为便于阅读，不代表先后"
)
# (name, applicant, the three experts' totals): 乙 and 甲 have the same mean, 80.00, with
# different spreads; 丙 is first.
CANDIDATES = [
    ("甲", "applicant_csf_br1", (80, 80, 80)),
    ("乙", "applicant_csf_br1", (70, 80, 90)),
    ("丙", "applicant_xuwen", (90, 90, 90)),
]


def ranked(users, round_id: int) -> list[tuple[Any, ...]]:
    rows = ok(api_as(users["cast_staff"]).get(f"{URL}ranking/", {"round": round_id, "category": "volunteer"}))
    return [(r["nominee_name"], r["rank"], r["tied"], r["rank_label"], r["mean"], r["spread"]) for r in rows]


def round_with(users, order: list[int], **settings: Any) -> tuple[int, dict[str, int]]:
    round_ = make_round(kind="selection", settings=settings)
    ids = {}
    for i in order:
        name, applicant, totals = CANDIDATES[i]
        ids[name] = nomination_in(users, round_.pk, "volunteer", "scored", applicant, nominee_name=name, totals=totals)
    return round_.pk, ids


EXPECTED = [
    ("丙", 1, False, "1", "90.00", "0.00"),
    ("乙", 2, True, "2=", "80.00", "20.00"),
    ("甲", 2, True, "2=", "80.00", "0.00"),
]


def test_ties_are_shown_as_ties_whatever_the_order_of_creation(users):
    forward, ids = round_with(users, [0, 1, 2])
    assert ids["甲"] < ids["乙"] < ids["丙"]
    backward, ids = round_with(users, [2, 1, 0])
    assert ids["甲"] > ids["乙"] > ids["丙"]
    assert ranked(users, forward) == EXPECTED
    assert ranked(users, backward) == EXPECTED


def test_the_ranking_page_marks_the_tie_and_the_rule(client, users):
    round_id, _ids = round_with(users, [1, 0, 2], winners_per_category={"volunteer": 2})
    for username in ("cast_staff", "auditor"):
        client.force_login(users[username])
        body = client.get(f"/nominations/ranking/?round={round_id}&category=volunteer").content.decode()
        assert TIE_RULE in body
        assert body.count("2=") == 2 and body.count('class="tag">并列') == 2
        # Three rank within two places: the tie at the line is for the panel or the meeting.
        assert "名额线上存在并列：并列者名次相同，由评审组或审定会议决定，系统不排先后。" in body
        assert body.index("丙") < body.index("乙") < body.index("甲")


def test_a_tie_at_the_number_of_winners_is_decided_with_a_reason(users):
    _round_id, ids = round_with(users, [0, 1, 2], winners_per_category={"volunteer": 2})
    for nid in ids.values():
        ok(review(users, "content_cast", nid, "cast"), 201)
    assert ok(act(users, "cast_staff", ids["丙"], "shortlist"))["state"] == "shortlisted"
    # Either of the tied is within the number by rank: the first chosen needs no reason …
    assert ok(act(users, "cast_staff", ids["甲"], "shortlist"))["state"] == "shortlisted"
    # … the other one is beyond the number: a reason (the meeting's decision) is required.
    response = act(users, "cast_staff", ids["乙"], "shortlist")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        ["“十佳科技志愿者”类别已选定 2 名（名额 2 名），超出须填写理由"],
    )

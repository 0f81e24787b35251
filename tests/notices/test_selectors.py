"""Reads of notices and objections, scoped to who is asking."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from notices import selectors
from tests.conftest import make_round
from tests.notices.helpers import bulletin, draft_notice, file_objection, published_notice, reviewed_notice


@pytest.fixture
def three(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目")
    c = bulletin(users, orgs, open_round, title="丙项目")
    published = published_notice(users, open_round, [a], title="已发布")
    reviewed = reviewed_notice(users, open_round, [b], title="待发布")
    draft = draft_notice(users, open_round, [c], title="草稿")
    return published, reviewed, draft


def test_the_public_sees_published_notices_and_their_public_fields(three):
    published, _reviewed, draft = three
    assert list(selectors.public_notices()) == [published]
    assert selectors.get_public_notice(published.pk) == published
    assert selectors.get_public_notice(draft.pk) is None
    assert selectors.get_public_notice("x") is None
    assert selectors.public_entries(published) == [
        {"id": published.entries.get().pk, "position": 1, "title": "甲项目", "summary": "中国水产学会科普工作委员会"}
    ]
    assert selectors.public_entries(draft) == []


@pytest.mark.parametrize(
    ("username", "notices", "objections"),
    [
        ("cast_staff", 3, 1),
        ("auditor", 3, 1),
        ("content_cast", 3, 0),
        ("content_csf", 0, 0),
        ("applicant_csf_br1", 0, 0),
        ("reviewer_csf", 0, 0),
        ("expert_1", 0, 0),
    ],
)
def test_staff_reads_by_role(users, three, username, notices, objections):
    published = three[0]
    file_objection(published, published.entries.get().pk)
    user = users[username]
    assert selectors.notices_for(user=user).count() == notices
    assert selectors.objections_for(user=user).count() == objections
    assert (selectors.get_notice_for(published.pk, user=user) is not None) == bool(notices)


def test_anonymous_reads_nothing_private(three):
    published = three[0]
    file_objection(published, published.entries.get().pk)
    assert selectors.notices_for(user=AnonymousUser()).count() == 0
    assert selectors.objections_for(user=AnonymousUser()).count() == 0


def test_counts_and_candidates(users, orgs, open_round, three):
    published = three[0]
    file_objection(published, published.entries.get().pk)
    file_objection(published, published.entries.get().pk)
    row = selectors.notices_for(user=users["cast_staff"]).get(pk=published.pk)
    assert (row.entry_count, row.open_objections) == (1, 2)
    waiting = bulletin(users, orgs, open_round, title="待列入")
    bulletin(users, orgs, open_round, title="草稿", state="draft")
    # Other record types (applications, nominations) may declare notices too: look at ours.
    other_round = make_round()
    bulletin(users, orgs, other_round, title="另一批次")
    rows = selectors.candidate_rows(user=users["cast_staff"], record_type="testapp.bulletin", round_id=open_round.pk)
    assert rows == [waiting]
    assert (
        selectors.candidate_rows(
            user=users["cast_staff"], record_type="testapp.bulletin", round_id=open_round.pk, q="测试单位"
        )
        == []
    )
    assert (
        selectors.candidate_rows(
            user=users["applicant_gd_fish"], record_type="testapp.bulletin", round_id=open_round.pk
        )
        == []
    )
    assert selectors.default_notice_title("testapp.bulletin", open_round) == f"关于{open_round.title}拟立项名单的公示"
    assert "testapp.bulletin" in selectors.notice_record_types()
    assert "testapp.dossier" not in selectors.notice_record_types()

"""accounts.permissions predicates against the demo users of docs/api.md."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import permissions as perms
from accounts.models import Role, User

EVERYONE = [
    "applicant_csf_br1",
    "applicant_gd_fish",
    "applicant_xuwen",
    "reviewer_csf",
    "content_csf",
    "reviewer_gd_cast",
    "content_gd_cast",
    "cast_staff",
    "content_cast",
    "expert_1",
    "expert_2",
    "expert_3",
    "expert_4",
    "expert_5",
    "auditor",
]


def record_of(orgs, code: str) -> SimpleNamespace:
    org = orgs[code]
    return SimpleNamespace(organization_id=org.pk, recommending_unit_id=org.recommending_unit_id)


def test_is_cast_staff_only_for_cast_staff(users):
    assert [u for u in EVERYONE if perms.is_cast_staff(users[u])] == ["cast_staff"]


def test_is_auditor_only_for_the_auditor(users):
    assert [u for u in EVERYONE if perms.is_auditor(users[u])] == ["auditor"]


def test_is_expert(users):
    assert [u for u in EVERYONE if perms.is_expert(users[u])] == [
        "expert_1",
        "expert_2",
        "expert_3",
        "expert_4",
        "expert_5",
    ]


def test_anonymous_and_missing_users_have_no_grants(db):
    assert perms.grants(AnonymousUser()) == ()
    assert perms.grants(None) == ()
    assert perms.is_cast_staff(AnonymousUser()) is False
    assert perms.has_role(None, Role.APPLICANT) is False


def test_grants_of_expert_5(users, orgs):
    grants = sorted(perms.grants(users["expert_5"]), key=lambda g: g.org_code)

    assert grants == [
        perms.Grant(Role.EXPERT, orgs["CAST"].pk, "cast", "CAST"),
        perms.Grant(Role.EXPERT, orgs["CSF"].pk, "national_society", "CSF"),
    ]


def test_has_role_with_and_without_organization(users, orgs):
    reviewer = users["reviewer_csf"]

    assert perms.has_role(reviewer, Role.SOCIETY_REVIEWER) is True
    assert perms.has_role(reviewer, Role.SOCIETY_REVIEWER, orgs["CSF"].pk) is True
    assert perms.has_role(reviewer, Role.SOCIETY_REVIEWER, orgs["GD-CAST"].pk) is False
    assert perms.has_role(reviewer, Role.SOCIETY_REVIEWER, orgs["CSF-BR1"].pk) is False
    assert perms.has_role(reviewer, Role.APPLICANT, orgs["CSF"].pk) is False
    assert perms.org_ids_with_role(users["expert_5"], Role.EXPERT) == {
        orgs["CAST"].pk,
        orgs["CSF"].pk,
    }


def test_scope_predicates_on_a_record(users, orgs):
    br1 = record_of(orgs, "CSF-BR1")
    xuwen = record_of(orgs, "GD-XW-CAST")

    assert perms.is_applicant_of(users["applicant_csf_br1"], br1) is True
    assert perms.is_applicant_of(users["applicant_gd_fish"], br1) is False
    assert perms.is_reviewer_of(users["reviewer_csf"], br1) is True
    assert perms.is_reviewer_of(users["reviewer_gd_cast"], br1) is False
    assert perms.is_reviewer_of(users["reviewer_gd_cast"], xuwen) is True
    orphan = SimpleNamespace(organization_id=orgs["CAST"].pk, recommending_unit_id=None)
    assert perms.is_reviewer_of(users["reviewer_csf"], orphan) is False
    assert perms.is_content_reviewer_in(users["content_csf"], orgs["CSF"].pk) is True
    assert perms.is_content_reviewer_in(users["content_csf"], orgs["GD-CAST"].pk) is False
    assert perms.is_content_reviewer_in(users["content_csf"], None) is False
    assert perms.cast_org_ids(users["content_cast"]) == {orgs["CAST"].pk}
    assert perms.cast_org_ids(users["content_csf"]) == set()


@pytest.mark.parametrize(
    ("username", "code", "expected"),
    [
        ("expert_5", "CSF-BR1", "利益冲突：专家所在单位即该记录的推荐单位"),
        ("expert_5", "GD-FISH", "利益冲突：专家所在单位即该记录的推荐单位"),
        ("expert_5", "CSF", "利益冲突：专家所在单位即申报单位"),
        ("expert_5", "GD-XW-CAST", None),
        ("expert_1", "CSF-BR1", None),
        ("expert_1", "CSF", None),
        # Every expert is enrolled at CAST: that is no conflict.
        ("expert_1", "CAST", None),
    ],
)
def test_expert_conflict(users, orgs, username, code, expected):
    assert perms.expert_conflict(users[username], record_of(orgs, code)) == expected


def test_grants_are_read_once_per_user_object(users, orgs, django_assert_num_queries):
    expert = User.objects.get(username="expert_5")
    record = record_of(orgs, "CSF-BR1")

    with django_assert_num_queries(1):
        assert perms.expert_conflict(expert, record) == "利益冲突：专家所在单位即该记录的推荐单位"
    with django_assert_num_queries(0):
        assert perms.expert_conflict(expert, record) == "利益冲突：专家所在单位即该记录的推荐单位"
        assert perms.is_expert(expert) is True
        assert perms.is_cast_staff(expert) is False

    perms.forget_grants(expert)
    with django_assert_num_queries(1):
        assert perms.is_expert(expert) is True

"""The people pages as a screen reader and a keyboard meet them (the checks of
tests/site/test_accessibility.py): one main heading, a label for every field, a name for every
button and link, in both languages, for each role that uses them, and the public ones."""

from __future__ import annotations

import pytest
from django.test import Client

from administration.models import Invitation, UnitRegistration
from tests.site.test_accessibility import problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, orgs):
    from administration.people import services

    services.invitation_create(
        actor=users["cast_staff"],
        data={"email": "a11y@example.com", "organization": orgs["CSF-BR1"].pk, "role": "applicant"},
    )
    Client().post(
        "/manage/people/register/",
        {
            "parent": orgs["CSF-BR1"].pk,
            "unit_name": "无障碍测试队",
            "unit_type": "other",
            "username": "a11yteam",
            "display_name": "测试",
            "email": "team@example.com",
            "password1": "Wuzhangai-Test-2026",
            "password2": "Wuzhangai-Test-2026",
        },
    )
    return {"registration": UnitRegistration.objects.get(), "invitation": Invitation.objects.get()}


def pages(users, orgs, world) -> list[str]:
    return [
        "/manage/people/",
        "/manage/people/units/",
        "/manage/people/units/new/",
        f"/manage/people/units/{orgs['CSF-BR1'].pk}/",
        f"/manage/people/units/{orgs['GD-XW-CAST'].pk}/",
        "/manage/people/users/",
        f"/manage/people/users/{users['applicant_csf_br1'].pk}/",
        "/manage/people/invitations/",
        "/manage/people/registrations/",
        f"/manage/people/registrations/{world['registration'].pk}/",
        "/password/change/",
        "/second-factor/",
    ]


@pytest.mark.parametrize("username", ["cast_staff", "reviewer_csf", "auditor"])
def test_the_people_pages_of_each_role(users, orgs, world, username):
    client = Client()
    client.force_login(users[username])
    found = {}
    for url in pages(users, orgs, world) + (["/manage/people/units/import/"] if username == "cast_staff" else []):
        for language in ("zh-hans", "en"):
            client.cookies["django_language"] = language
            response = client.get(url)
            # The auditor creates nothing; a reviewer sees no unit of another recommending unit.
            if response.status_code == 404 and (
                (username == "auditor" and url.endswith("/new/"))
                or (username == "reviewer_csf" and url == f"/manage/people/units/{orgs['GD-XW-CAST'].pk}/")
            ):
                continue
            assert response.status_code == 200, (username, url, response.status_code)
            issues = problems(response.content.decode())
            if issues:
                found[(url, language)] = issues
    assert found == {}


def test_the_public_people_pages(users, orgs, world):
    from administration.people import services

    invitation = services.invitation_create(
        actor=users["cast_staff"],
        data={"email": "a11y2@example.com", "organization": orgs["CSF-BR1"].pk, "role": "applicant"},
    )
    found = {}
    for url in (
        "/manage/people/register/",
        "/manage/people/register/done/",
        f"/manage/people/join/{invitation.token}/",
        "/password/reset/",
        "/password/reset/sent/",
        "/password/reset/MQ/not-a-token/",
        "/password/reset/done/",
        "/login/",
    ):
        response = Client().get(url)
        assert response.status_code == 200, url
        issues = problems(response.content.decode())
        if issues:
            found[url] = issues
    assert found == {}

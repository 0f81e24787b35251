"""Chinese first, English when chosen: pages follow the switch (cookie) or the profile, not a
browser's Accept-Language; the API follows Accept-Language; the switch keeps the choice in
the profile so e-mails follow it."""

from __future__ import annotations

from accounts.models import User


def test_pages_are_chinese_unless_english_is_chosen(client, users):
    # A browser set to English alone does not switch the page.
    assert "登录" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    client.cookies["django_language"] = "en"
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html and "Sign in" in html


def test_the_switch_keeps_the_choice_for_the_user(client, users):
    user = users["applicant_csf_br1"]
    client.force_login(user)
    assert '<html lang="zh-hans">' in client.get("/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/applications/"})

    assert (response.status_code, response.url) == (302, "/applications/")
    assert User.objects.get(pk=user.pk).language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()
    # A new session without the cookie still answers in the profile's language.
    client.cookies.pop("django_language")
    client.force_login(User.objects.get(pk=user.pk))
    assert '<html lang="en">' in client.get("/").content.decode()
    # An unknown language changes nothing.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert User.objects.get(pk=user.pk).language == "en"


def test_the_api_follows_accept_language(users):
    from tests.conftest import api_as

    api = api_as(users["applicant_csf_br1"])
    chinese = api.get("/api/v1/applications/999999/").json()["detail"]
    english = api.get("/api/v1/applications/999999/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert chinese != english and english.isascii() and not chinese.isascii()

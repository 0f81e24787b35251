"""Every page of every role, checked as a screen reader and a keyboard would meet it: the
language declared, one main heading, a label for every field, a name for every button and
link, an alternative text for every image, the skip link first, no positive tabindex; and
the colours of the style sheet have the contrast WCAG AA asks (4.5:1 for text)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from applications.models import Application
from nominations.models import Nomination
from notices.models import PublicNotice


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang = None
        self.h1 = 0
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.buttons: list[dict] = []
        self.links: list[dict] = []
        self.images: list[dict] = []
        self.tabindex: list[str] = []
        self.first_link: str | None = None
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if "tabindex" in a and a["tabindex"] not in ("0", "-1"):
            self.tabindex.append(a["tabindex"])
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.fields.append({**a, "_tag": tag, "_wrapped": self.open_labels > 0})
        if tag == "button":
            self._current = {**a, "_text": ""}
            self.buttons.append(self._current)
        if tag == "a" and "href" in a:
            self._current = {**a, "_text": ""}
            self.links.append(self._current)
            if self.first_link is None:
                self.first_link = a["href"]
        if tag == "img":
            self.images.append(a)
            if self._current is not None:
                self._current["_text"] += a.get("alt") or ""

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1
        if tag in ("button", "a"):
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self._current["_text"] += data


def problems(html: str) -> list[str]:
    page = Page()
    page.feed(html)
    out = []
    if page.html_lang not in ("zh-hans", "en"):
        out.append(f"lang={page.html_lang}")
    if page.h1 != 1:
        out.append(f"{page.h1} h1")
    if page.first_link != "#main":
        out.append("the skip link is not the first link")
    for field in page.fields:
        named = field.get("aria-label") or field.get("aria-labelledby") or field["_wrapped"]
        if not named and field.get("id") not in page.label_for:
            out.append(f"unlabelled {field['_tag']} name={field.get('name')}")
    for button in page.buttons:
        if not (button["_text"].strip() or button.get("aria-label")):
            out.append(f"unnamed button {button}")
    for link in page.links:
        if not (link["_text"].strip() or link.get("aria-label")):
            out.append(f"unnamed link {link.get('href')}")
    for image in page.images:
        if "alt" not in image:
            out.append(f"img without alt {image.get('src')}")
    if page.tabindex:
        out.append(f"positive tabindex {page.tabindex}")
    return out


@pytest.fixture
def seeded(db):
    from django.core.cache import cache

    cache.clear()  # the demo files objections: the rate limit per address lives in the cache
    call_command("seed_demo", "--with-records", stdout=io.StringIO())


def pages_of(username: str) -> list[str]:
    application = Application.objects.filter(state="approved").first()
    nomination = Nomination.objects.filter(state="awarded").first()
    common = ["/", "/applications/", "/nominations/", "/notifications/", "/notifications/preferences/"]
    per_role = {
        "applicant_csf_br1": ["/applications/new/", "/nominations/new/", *_own_details(username)],
        "reviewer_csf": _own_details(username),
        "content_cast": [],
        "cast_staff": [
            f"/applications/{application.pk}/",
            f"/nominations/{nomination.pk}/",
            "/applications/ranking/",
            "/nominations/ranking/",
            "/workflow/tasks/",
            "/public/manage/notices/",
            "/documents/batches/",
        ],
        "expert_1": ["/workflow/tasks/"],
        "auditor": [f"/applications/{application.pk}/", "/documents/batches/"],
    }
    return common + per_role[username]


def _own_details(username: str) -> list[str]:
    from accounts.models import User
    from applications.models import Application
    from nominations.models import Nomination
    from workflows.registry import record_type_of

    user = User.objects.get(username=username)
    apps = [f"/applications/{a.pk}/" for a in record_type_of(Application).listing(user, {})[:3]]
    noms = [f"/nominations/{n.pk}/" for n in record_type_of(Nomination).listing(user, {})[:3]]
    return apps + noms


@pytest.mark.parametrize(
    "username", ["applicant_csf_br1", "reviewer_csf", "content_cast", "cast_staff", "expert_1", "auditor"]
)
def test_pages_of_each_role(client, users, seeded, username):
    client.force_login(users[username])
    found = {}
    for url in pages_of(username):
        for language in ("zh-hans", "en"):
            client.cookies["django_language"] = language  # as the language switch sets it
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            issues = problems(response.content.decode())
            if issues:
                found[(url, language)] = issues
    assert found == {}


def test_public_pages(client, seeded):
    notice = PublicNotice.objects.filter(published_at__isnull=False).first()
    round_id = Nomination.objects.filter(state="awarded").first().round_id
    found = {}
    for url in (
        "/login/",
        "/public/notices/",
        f"/public/notices/{notice.pk}/",
        "/verify/",
        f"/nominations/winners/{round_id}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        issues = problems(response.content.decode())
        if issues:
            found[url] = issues
    assert found == {}


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_have_enough_contrast():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{3,6})", css))
    pairs = {
        "text on the page": (colours["fg"], colours["bg"]),
        "text on a card": (colours["fg"], colours["card"]),
        "muted text on a card": (colours["muted"], colours["card"]),
        "muted text on the page": (colours["muted"], colours["bg"]),
        "links on a card": (colours["accent"], colours["card"]),
        "links on the page": (colours["accent"], colours["bg"]),
        "button text": ("#ffffff", colours["accent"]),
        "error message": (colours["bad"], "#fde8eb"),
        "success message": (colours["ok"], "#e6f4ea"),
        "current state in the diagram": ("#ffffff", colours["accent"]),
    }
    low = {name: round(contrast(*pair), 2) for name, pair in pairs.items() if contrast(*pair) < 4.5}
    assert low == {}

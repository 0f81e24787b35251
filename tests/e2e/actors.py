"""One browser context per person of the scenario, with the steps every page visit shares:
screenshot, the second visit in English through the header's language selector, and the
check that the English page's labels hold no Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DEMO_PASSWORD, TIMEOUT_MS, Screenshots, untranslated


@dataclass
class Findings:
    """Untranslated labels by page, gathered over the whole test and asserted at its end, so
    that one run names all of them."""

    data: set[str] = field(default_factory=set)
    pages: dict[str, list[str]] = field(default_factory=dict)

    def database_names(self) -> None:
        """Names the database holds in Chinese: organizations, people, rounds, sub-projects."""
        from accounts.models import Organization, User
        from applications.models import SubprojectType
        from workflows.models import Round

        self.data.update(Organization.objects.values_list("name", flat=True))
        self.data.update(User.objects.values_list("display_name", flat=True))
        self.data.update(Round.objects.values_list("title", flat=True))
        self.data.update(SubprojectType.objects.values_list("name", flat=True))

    def unexpected(self, known: dict[str, str]) -> dict[str, list[str]]:
        """The findings that are not among the ``known`` untranslated labels ("<tag> text" →
        where the string comes from)."""
        result = {}
        for page, items in self.pages.items():
            rest = [i for i in items if i not in known]
            if rest:
                result[page] = rest
        return result


class Actor:
    """A person of the scenario in a browser context of their own (Chinese first: the
    browser asks for zh-CN, as a user in China would)."""

    def __init__(self, browser: Any, base_url: str, shots: Screenshots, findings: Findings, who: str = "public"):
        self.who = who
        self.shots = shots
        self.findings = findings
        self.context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()

    def close(self) -> None:
        self.context.close()

    # -- visiting ---------------------------------------------------------------------------

    def shot(self, name: str, *, english: bool = False) -> None:
        """Screenshot the page; with ``english``, visit it once more in English (screenshot,
        label check) and switch back to Chinese."""
        self.shots.take(self.page, name)
        if english:
            self.in_english(name)

    def in_english(self, name: str) -> None:
        self.switch_language("en")
        self.check_english(f"{name}-en")
        self.switch_language("zh-hans")

    def check_english(self, name: str) -> None:
        """Screenshot the (English) page and note its label-like elements holding Chinese."""
        self.shots.take(self.page, name)
        found = untranslated(self.page, self.findings.data)
        if found:
            self.findings.pages[f"{name} ({self.page.url})"] = found

    def switch_language(self, code: str) -> None:
        """The language selector of the header (a form posting to /i18n/setlang/)."""
        page = self.page
        select = page.locator('select[name="language"]')
        select.select_option(code)
        page.locator("form").filter(has=select).get_by_role("button").click()
        expect(page.locator("html")).to_have_attribute("lang", code)

    def login(self, username: str, next_url: str) -> None:
        """The login form, then the page ``next_url`` (the dashboard is not part of the scenario)."""
        page = self.page
        self.who = username
        page.goto(f"/login/?next={next_url}")
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        self.shot(f"login-{username}")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))

    # -- reading ----------------------------------------------------------------------------

    def expect_message(self, text: str) -> None:
        """The flash message after a form (the messages list is role=status)."""
        expect(self.page.get_by_role("status").first).to_contain_text(text)

    def expect_state(self, label: str) -> None:
        """The record's state in the summary at the top of its page."""
        expect(self.page.locator("strong.state")).to_have_text(label)

    def action_form(self, button: str) -> Any:
        """The action form (of workflows/_actions.html) whose button starts with ``button →``."""
        pattern = re.compile("^" + re.escape(button) + " →")
        return self.page.locator("form").filter(has=self.page.get_by_role("button", name=pattern))

    def act(self, button: str, opinion: str = "") -> None:
        """Take a transition: fill the opinion of its form (if given) and press its button."""
        form = self.action_form(button)
        if opinion:
            # the opinion's textarea (a return's form also has its 补正期限 date field)
            form.locator("textarea[name=opinion]").fill(opinion)
        button_el = form.get_by_role("button")
        if button_el.is_disabled():
            reasons = form.locator("ul.reasons").inner_text() if form.locator("ul.reasons").count() else ""
            pytest.fail(f"“{button}” is disabled for {self.who}: {reasons}")
        button_el.click()
        self.expect_message("操作已完成")

    def upload(self, kind_label: str, name: str, content: bytes, mime: str = "application/pdf") -> None:
        """The upload form of the attachments section: kind, file, 上传."""
        page = self.page
        page.get_by_label("附件类型", exact=True).select_option(label=kind_label)
        page.get_by_label("文件", exact=True).set_input_files({"name": name, "mimeType": mime, "buffer": content})
        page.get_by_role("button", name="上传", exact=True).click()
        self.expect_message(f"附件已上传：{name}")


class People:
    """The browser contexts of one test (``people("applicant_csf_br1")`` opens one), closed
    at its end, and the untranslated labels they found."""

    def __init__(self, browser: Any, base_url: str, shots: Screenshots):
        self.browser = browser
        self.base_url = base_url
        self.shots = shots
        self.test = ""
        self.findings = Findings()
        self.findings.database_names()
        self.opened: list[Actor] = []

    def __call__(self, who: str = "public") -> Actor:
        actor = Actor(self.browser, self.base_url, self.shots, self.findings, who)
        self.opened.append(actor)
        return actor

    def close(self, *, failed: bool = False) -> None:
        """Close the contexts; after a failure, screenshot where each person was first."""
        for actor in self.opened:
            if failed:
                try:
                    self.shots.take(actor.page, f"failed-{actor.who}")
                except Exception:  # the page may be what broke
                    pass
            actor.close()

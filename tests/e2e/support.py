"""What the e2e tests share that needs no browser: the requirements, where screenshots go,
and the check for Chinese in the labels of an English page."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
DEMO_PASSWORD = "zhihui-demo"  # settings.DEMO_PASSWORD, which seed_demo gives every demo user
TIMEOUT_MS = 15_000

# Label-like elements: what the interface says, never what a user typed. Options only of the
# list filters, the bulk-action and the attachment-kind selects (others list records or people).
LABEL_SELECTOR = ", ".join(
    [
        "label",
        "button",
        "legend",
        "th[scope=col]",
        "caption",
        "nav a",
        "form[role=search] select option",
        "select[name=name] option",
        "select[name=kind] option",
    ]
)
# Han ideographs, CJK symbols and punctuation (、。《》【】), full-width forms (（），：).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def artifacts_dir() -> Path:
    path = Path(os.environ.get("E2E_ARTIFACTS") or PROJECT_DIR / "build" / "e2e")
    return path if path.is_absolute() else Path.cwd() / path


def missing_requirement() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    return None


class Screenshots:
    """Full-page screenshots numbered in the order the pages were visited."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.count = 0
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.wait_for_load_state("load")
        page.screenshot(path=str(path), full_page=True)
        return path


def untranslated(page: Any, data: Iterable[str] = ()) -> list[str]:
    """Label-like elements of the page that still hold CJK characters once the given data
    (names, titles and file names the users entered or the database holds) is taken out."""
    strip = sorted({d for d in data if d}, key=len, reverse=True)
    found = []
    items = page.eval_on_selector_all(
        LABEL_SELECTOR,
        "els => els.map(e => [e.tagName.toLowerCase(), (e.textContent || '').replace(/\\s+/g, ' ').trim()])",
    )
    for tag, text in items:
        rest = text
        for d in strip:
            rest = rest.replace(d, "")
        if CJK.search(rest):
            found.append(f"<{tag}> {text}")
    return sorted(set(found))

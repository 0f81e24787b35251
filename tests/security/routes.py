"""Every URL of the site, read from the resolver, with its path parameters filled from a
world of existing objects — so that a page or endpoint added later is covered by the security
suites without anyone listing it.

Left out: Django's admin (no demo user is staff; ``test_access_matrix`` checks that) and the
test-only app's routes (``tests.testapp``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from applications.models import Application
from nominations.models import Nomination

UNSAFE = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str  # what reverse() takes: "applications:detail", "application-detail"
    pattern: str  # the whole pattern, for messages
    params: tuple[str, ...]
    callback: Any = field(compare=False, repr=False)
    # HTTP methods the view declares (lower case); None for a function view, which may take any.
    methods: frozenset[str] | None = None

    @property
    def api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def pk_of(self) -> str:
        """The path segment naming what ``pk`` is the id of: "applications", "notices", …"""
        head = re.split(r"<(?:int:|str:)?pk>|\(\?P<pk>", self.pattern)[0]
        return head.rstrip("/").split("/")[-1].lstrip("^")

    @property
    def record_model(self) -> type | None:
        """The record type whose id the ``pk`` parameter is, if any (``object``: either, with
        ``record_type``)."""
        if "record_type" in self.params:
            return object
        if "pk" not in self.params:
            return None
        return {"applications": Application, "nominations": Nomination}.get(self.pk_of)

    def accepts(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    @property
    def renders_pdf(self) -> bool:
        """A PDF drawn on request: slow, and nothing to read for a leak check."""
        return ".pdf" in self.pattern or self.pattern.endswith("pdf/$")


def _methods(callback: Any) -> frozenset[str] | None:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route
        return frozenset(actions)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        allowed = getattr(view_class, "http_method_names", ())
        return frozenset(m for m in ("get", *UNSAFE) if hasattr(view_class, m) and m in allowed)
    return None


def _test_only(pattern: str) -> bool:
    """Pages and API of the test-only record types (made by the registry, not in tests.)."""
    from workflows.registry import record_types

    slugs = {rt.slug for rt in record_types() if rt.model._meta.app_label == "testapp"}
    head = pattern.removeprefix("api/v1/").lstrip("^").split("/")[0]
    return head in slugs


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    found: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            module = getattr(entry.callback, "__module__", "")
            if module.startswith("tests.") or not entry.name or _test_only(prefix + str(entry.pattern)):
                continue
            found.append(
                Route(
                    name=namespace + entry.name,
                    pattern=prefix + str(entry.pattern),
                    params=tuple(entry.pattern.regex.groupindex),
                    callback=entry.callback,
                    methods=_methods(entry.callback),
                )
            )
    return found


def routes() -> list[Route]:
    top = [p for p in get_resolver().url_patterns if not str(getattr(p, "pattern", "")).startswith("admin/")]
    return _walk(top)


def first_transition(record: Any) -> str:
    outgoing = record.flow_class.outgoing(record.state)
    return outgoing[0].slug if outgoing else "withdraw"


def attachment_id(record: Any) -> int:
    from workflows.models import Attachment

    found = Attachment.objects.filter(record_type=record.record_type(), record_id=record.pk).order_by("pk").first()
    return found.pk if found else 999_999


def fill(route: Route, world: dict[str, Any], record: Any = None) -> list[dict[str, Any]]:
    """The keyword arguments to reverse ``route`` with: one dict per variant (an export in
    each format). ``record``: the record a record route is about. ``world`` holds ids of
    the other objects (``notice``, ``objection``, ``evidence``, ``batch``, ``round``,
    ``notification``, ``code``); a missing one is a well-formed id that does not exist."""
    missing = 999_999
    choices: dict[str, list[Any]] = {}
    for name in route.params:
        if name == "pk":
            objects = {
                "notices": "notice",
                "objections": "objection",
                "verifications": "objection",
                "batches": "batch",
                "jobs": "job",
                "rounds": "round",
                "inbox": "notification",
                "notifications": "notification",
                **{"units": "unit", "users": "user", "registrations": "registration"},  # administration.people
                "terms": "term",  # administration.rules
                "decisions": "decision",  # 审定 decision meetings
            }
            if route.record_model is not None:
                value = record.pk
            elif route.pk_of in objects:
                value = world.get(objects[route.pk_of], missing)
            else:
                raise AssertionError(f"no filler for pk of {route.name} ({route.pattern})")
            choices[name] = [value]
        elif name == "record_type":
            choices[name] = [record.record_type()]
        elif name == "aid":
            choices[name] = [attachment_id(record)]
        elif name == "name":
            choices[name] = [first_transition(record)]
        elif name == "round_id":
            choices[name] = [world.get("round", missing)]
        elif name == "evidence_id":
            choices[name] = [world.get("evidence", missing)]
        elif name == "code":
            choices[name] = [world.get("code", "NO-SUCH-CODE")]
        elif name == "fmt":
            choices[name] = ["csv", "xlsx"]
        elif name == "sid":  # a sub-project of the round (administration.rounds)
            from applications.models import SubprojectType

            first = SubprojectType.objects.filter(round_id=world.get("round")).order_by("pk").first()
            choices[name] = [first.pk if first else missing]
        elif name == "item_id":  # a record attached to a decision meeting
            choices[name] = [world.get("decision_item", missing)]
        elif name == "did":  # a round's document (administration.rounds)
            choices[name] = [world.get("round_document", missing)]
        elif name == "uidb64":  # Django's password reset link: a user id that does not exist
            choices[name] = ["OTk5OTk5"]
        elif name == "token":  # an invitation's or a password reset's token: one never issued
            choices[name] = ["no-such-token"]
        else:
            raise AssertionError(f"no filler for the parameter {name!r} of {route.name} ({route.pattern})")
    keys = list(choices)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(choices[k] for k in keys))]


def urls(route: Route, world: dict[str, Any], record: Any = None) -> list[str]:
    return [reverse(route.name, kwargs=kwargs or None) for kwargs in fill(route, world, record)]

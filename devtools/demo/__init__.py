"""Demo records (``seed_demo --with-records``): each record type's seeder registers here, found
with ``autodiscover_modules("demo")`` (this package's modules, and any app's own ``demo`` module).
A seeder fills every state of its flow with realistic records through the real services and
returns how many it made; run again, it makes only what is missing."""

from __future__ import annotations

from collections.abc import Callable

SEEDERS: dict[str, Callable[[], int]] = {}

# The contacts every demo round names (guides and 公示 carry them; a notice takes the first with
# a phone as where objections go).
DEMO_CONTACTS = [
    {"name": "王芳", "purpose": "公示异议受理", "phone": "010-68571898", "email": "kjzyfw@cast.org.cn"},
    {"name": "李明", "purpose": "系统技术支持", "phone": "010-68571899", "email": "support@cast.org.cn"},
]


def register(label: str, seeder: Callable[[], int]) -> None:
    SEEDERS[label] = seeder


def seeders() -> dict[str, Callable[[], int]]:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    from . import applications, nominations  # noqa: F401  (register themselves)

    return dict(sorted(SEEDERS.items()))

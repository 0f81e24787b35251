"""System check: a ``PDF_FONT_PATH`` that ReportLab cannot use is reported at start-up
(rendering would fall back to the built-in STSong-Light)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register()
def pdf_font_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    from .renderer.fonts import font_problem

    path = getattr(settings, "PDF_FONT_PATH", "") or ""
    problem = font_problem(path)
    if problem is None:
        return []
    return [
        Warning(
            f"PDF_FONT_PATH={path!r}: {problem}",
            hint="Name a TrueType font (Debian: fonts-wqy-zenhei, /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc) "
            "or leave it empty for the built-in STSong-Light.",
            id="documents.W001",
        )
    ]

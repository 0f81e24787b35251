"""A certificate (荣誉证书), landscape: what the Four Top-Ten awards will issue. The nominations
app adds the record type and the data builder; the page is ready here, so that adding the
kind is one data function and one service call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .base import Verification, build_pdf, cn_date, resolve_font, text

TITLE = "荣誉证书"
BORDER_COLOR = "#B22222"


@dataclass(frozen=True)
class CertificateData:
    recipient: str  # a person, a team, a project or a service site
    citation: str  # 入选……先进典型
    number: str  # 证书编号
    issuer: str
    issued_on: dt.date
    verification: Verification | None
    title: str = TITLE


def _border(canvas: Any, size: tuple[float, float]) -> None:
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    canvas.setStrokeColor(colors.HexColor(BORDER_COLOR))
    canvas.setLineWidth(3)
    canvas.rect(10 * mm, 14 * mm, size[0] - 20 * mm, size[1] - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(13 * mm, 17 * mm, size[0] - 26 * mm, size[1] - 30 * mm)


def render_certificate(data: CertificateData, *, font_path: str | None = None) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    font = resolve_font(font_path)
    story: list[Any] = [
        Spacer(1, 6 * mm),
        text((data.title, "display"), (data.recipient, "recipient"), (data.citation, "citation"), font=font),
        Spacer(1, 12 * mm),
        text(
            (data.issuer, "signature"),
            (cn_date(data.issued_on), "signature"),
            (f"证书编号：{data.number}", "center"),
            font=font,
        ),
    ]
    return build_pdf(
        story,
        title=f"{data.title} {data.number}",
        verification=data.verification,
        font=font,
        landscape=True,
        background=_border,
        margin_mm=32,
    )

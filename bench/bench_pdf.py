"""Benchmark the PDF renderers against the floor of a one-line ReportLab page.

Run from the project root:

    .venv/bin/python bench/bench_pdf.py [--strict] [--font PATH] [--runs N] [--wall]

Renders, from plain Python data (no database, no Django settings), a realistic application
form (申报书: every field, 8 team members, 6 budget lines, 4 opinions, 4 content-review
verdicts; three A4 pages), an approval notice (立项通知书), a landscape certificate (荣誉证书)
and a 30-row result list (立项名单), and, in the same run, the floor: a minimal A4 page with
one line of Chinese text drawn by ReportLab's canvas in the same font. The floor and the form
are measured in alternating rounds. Reports median milliseconds (CPU time of this process
and wall-clock), notices and certificates per second, and the ratio of the form to the floor.

Targets: the application form within 10 × the floor and under 50 ms. They are judged on CPU
time, which other processes on a shared machine do not inflate (on an idle machine the two
agree); ``--wall`` judges on wall-clock instead. ``--strict`` exits with status 1 when a
target is missed.

The font is the built-in CID font STSong-Light unless ``--font`` (or the ``PDF_FONT_PATH``
environment variable) names a TrueType file, e.g. /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc;
a TrueType font is embedded and subset in every document (the floor's too), which costs more
per document.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from documents.renderer.application_form import render_application_form
from documents.renderer.approval_notice import render_approval_notice
from documents.renderer.certificate import render_certificate
from documents.renderer.fonts import font_name
from documents.renderer.samples import application_form, approval_notice, certificate, result_list
from documents.renderer.table_document import render_table_document

TARGET_RATIO = 10.0
TARGET_FORM_MS = 50.0
ROUNDS = 5


def floor_page(font: str) -> bytes:
    """The least ReportLab can do: one A4 page, one line of Chinese text, same font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setFont(font, 12)
    page.drawString(72, 770, "科技志愿服务“智惠行动”项目申报书")
    page.showPage()
    page.save()
    return buffer.getvalue()


def measure(function, runs: int) -> tuple[float, float]:
    """Median CPU and wall-clock milliseconds of ``runs`` calls."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        function()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", pdf))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--font", default=os.environ.get("PDF_FONT_PATH", ""), help="a TrueType font (default: STSong-Light)"
    )
    parser.add_argument("--runs", type=int, default=25, help="calls per measurement (default 25)")
    parser.add_argument("--wall", action="store_true", help="judge the targets by wall-clock instead of CPU time")
    args = parser.parse_args()

    start = time.perf_counter()
    font = font_name(args.font)  # registration is once per process: not part of any timing
    registration_ms = (time.perf_counter() - start) * 1000
    form, notice, listing, award = application_form(), approval_notice(1), result_list(), certificate()

    def render_form() -> bytes:
        return render_application_form(form, font_path=args.font)

    # Warm-up: imports, glyph widths and font subsets, as in a running server.
    for _ in range(3):
        floor_page(font)
        render_form()
        render_approval_notice(notice, font_path=args.font)
        render_table_document(listing, font_path=args.font)
        render_certificate(award, font_path=args.font)

    # The floor and the form measured in alternating rounds, so both see the same machine.
    floors, forms = [], []
    for _ in range(ROUNDS):
        floors.append(measure(lambda: floor_page(font), args.runs))
        forms.append(measure(render_form, args.runs))
    floor_cpu, floor_wall = (statistics.median(x) for x in zip(*floors, strict=True))
    form_cpu, form_wall = (statistics.median(x) for x in zip(*forms, strict=True))
    notice_cpu, notice_wall = measure(lambda: render_approval_notice(notice, font_path=args.font), args.runs)
    award_cpu, award_wall = measure(lambda: render_certificate(award, font_path=args.font), args.runs)
    list_cpu, list_wall = measure(lambda: render_table_document(listing, font_path=args.font), max(5, args.runs // 3))

    form_pdf = render_form()
    judged_form, judged_floor = (form_wall, floor_wall) if args.wall else (form_cpu, floor_cpu)
    ratio = judged_form / judged_floor
    described = f"{font} ({args.font})" if args.font else f"{font} (built-in CID font, not embedded)"
    basis = "wall-clock" if args.wall else "CPU time"
    ok_ratio = ratio <= TARGET_RATIO
    ok_time = judged_form < TARGET_FORM_MS

    def row(label: str, text: str) -> None:
        print(f"{label:<40}: {text}")

    row("font", described)
    row("font registration (once per process)", f"{registration_ms:8.2f} ms")
    row("", "  CPU ms    wall ms")
    row("floor: one-line page", f"{floor_cpu:8.2f}   {floor_wall:8.2f}")
    row(
        f"application form ({page_count(form_pdf)} pages, {len(form_pdf):,} B)",
        f"{form_cpu:8.2f}   {form_wall:8.2f}   per form",
    )
    row("approval notice", f"{notice_cpu:8.2f}   {notice_wall:8.2f}   ({1000 / notice_cpu:,.0f} notices per second)")
    row(
        "certificate (landscape)",
        f"{award_cpu:8.2f}   {award_wall:8.2f}   ({1000 / award_cpu:,.0f} certificates per second)",
    )
    row("result list (30 rows)", f"{list_cpu:8.2f}   {list_wall:8.2f}")
    row(f"ratio form / floor ({basis})", f"{ratio:8.2f} ×")
    row(f"target: form ≤ {TARGET_RATIO:.0f} × floor", "PASS" if ok_ratio else "MISS")
    row(f"target: form < {TARGET_FORM_MS:.0f} ms", "PASS" if ok_time else "MISS")
    return 0 if (ok_ratio and ok_time) or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())

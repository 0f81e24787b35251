"""Spreadsheet exports of a filtered list of applications: Excel (openpyxl) and CSV.

Formula injection: a text cell whose first character is ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return) would run as a formula when the file is opened. In Excel files
such cells are written as text cells (type ``s``) with the "quote prefix" flag, Excel's
own way of keeping typed text that looks like a formula: the cell shows exactly what was
entered and never calculates. In CSV, which has no cell types, the value is prefixed with a
single quote (the OWASP recommendation). Only text columns are affected; amounts and dates
are numbers and dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT, AMOUNT, DATE, DATETIME, BOOLEAN = "text", "amount", "date", "datetime", "boolean"
MAX_ROWS = 50_000


@dataclass(frozen=True)
class ExportColumn:
    title: Any
    kind: str
    value: Callable[[Any], Any]
    width: int = 16


COLUMNS = (
    ExportColumn(_("编号"), TEXT, lambda a: str(a.pk), 8),
    ExportColumn(_("项目名称"), TEXT, lambda a: a.name, 30),
    ExportColumn(_("子项目"), TEXT, lambda a: a.subproject.name, 24),
    ExportColumn(_("申报单位"), TEXT, lambda a: a.organization.name, 28),
    ExportColumn(_("推荐单位"), TEXT, lambda a: a.recommending_unit.name if a.recommending_unit else "", 20),
    ExportColumn(_("状态"), TEXT, lambda a: a.flow_class.state_label(a.state), 18),
    ExportColumn(_("项目负责人"), TEXT, lambda a: a.leader_name, 12),
    ExportColumn(_("负责人职务/职称"), TEXT, lambda a: a.leader_title, 16),
    ExportColumn(_("服务地区（省）"), TEXT, lambda a: a.region_province, 12),
    ExportColumn(_("服务地区（市）"), TEXT, lambda a: a.region_city, 12),
    ExportColumn(_("服务地区（县）"), TEXT, lambda a: a.region_county, 12),
    ExportColumn(_("是否试点县"), BOOLEAN, lambda a: a.pilot_county, 10),
    ExportColumn(_("实施开始日期"), DATE, lambda a: a.period_start, 12),
    ExportColumn(_("实施结束日期"), DATE, lambda a: a.period_end, 12),
    ExportColumn(_("申请金额（元）"), AMOUNT, lambda a: a.requested_amount, 14),
    ExportColumn(_("拟资助金额（元）"), AMOUNT, lambda a: a.funding_amount, 14),
    ExportColumn(_("立项编号"), TEXT, lambda a: a.approval_number or "", 18),
    ExportColumn(_("立项时间"), DATETIME, lambda a: a.issued_at, 18),
    ExportColumn(_("创建时间"), DATETIME, lambda a: a.created_at, 18),
    ExportColumn(_("更新时间"), DATETIME, lambda a: a.updated_at, 18),
)


def is_formula_like(value: str) -> bool:
    return bool(value) and value.startswith(FORMULA_TRIGGERS)


def neutralize(value: str) -> str:
    """For CSV: a value that a spreadsheet would take for a formula, prefixed with ``'``."""
    return "'" + value if is_formula_like(value) else value


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # Spreadsheets have no time zones: the local (Beijing) time, as people read it.
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value is not None else None


def _rows(applications: Iterable[Any]) -> Iterable[list[Any]]:
    for count, application in enumerate(applications):
        if count >= MAX_ROWS:
            break
        yield [column.value(application) for column in COLUMNS]


def applications_xlsx(applications: Iterable[Any], *, title: str) -> bytes:
    """An .xlsx workbook (one sheet, header row frozen) of the applications."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS):
        sheet.column_dimensions[_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(column.title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    boolean_text = {True: str(_("是")), False: str(_("否"))}
    for values in _rows(applications):
        row = []
        for column, value in zip(COLUMNS, values, strict=True):
            if column.kind == TEXT:
                text = value or ""
                cell = WriteOnlyCell(sheet, value=text)
                if is_formula_like(text):
                    # openpyxl would store "=…" as a formula: force a text cell, shown as typed.
                    cell.data_type = "s"
                    cell.quotePrefix = True
            elif column.kind == AMOUNT:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0.00"
            elif column.kind == DATE:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
            elif column.kind == DATETIME:
                cell = WriteOnlyCell(sheet, value=_local(value))
                cell.number_format = "yyyy-mm-dd hh:mm"
            else:
                cell = WriteOnlyCell(sheet, value=boolean_text[bool(value)])
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def applications_csv(applications: Iterable[Any]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so that Excel reads the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column.title) for column in COLUMNS])
    boolean_text = {True: str(_("是")), False: str(_("否"))}
    for values in _rows(applications):
        out = []
        for column, value in zip(COLUMNS, values, strict=True):
            if column.kind == TEXT:
                out.append(neutralize(value or ""))
            elif column.kind == AMOUNT:
                out.append("" if value is None else f"{Decimal(value):.2f}")
            elif column.kind == DATE:
                out.append(value.isoformat() if value else "")
            elif column.kind == DATETIME:
                local = _local(value)
                out.append(local.strftime("%Y-%m-%d %H:%M") if local else "")
            else:
                out.append(boolean_text[bool(value)])
        writer.writerow(out)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)

"""Spreadsheet exports of a filtered list of applications or nominations: Excel (openpyxl) and
CSV, one column table per record type.

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
TEXT, AMOUNT, NUMBER, DATE, DATETIME, BOOLEAN = "text", "amount", "number", "date", "datetime", "boolean"
MAX_ROWS = 50_000


@dataclass(frozen=True)
class ExportColumn:
    title: Any
    kind: str
    value: Callable[[Any], Any]
    width: int = 16


APPLICATION_COLUMNS = (
    ExportColumn(_("编号"), TEXT, lambda a: str(a.pk), 8),
    ExportColumn(_("项目名称"), TEXT, lambda a: a.name, 30),
    ExportColumn(_("子项目"), TEXT, lambda a: a.subproject.name, 24),
    ExportColumn(_("申报单位"), TEXT, lambda a: a.organization.name, 28),
    ExportColumn(_("推荐单位"), TEXT, lambda a: a.recommending_unit.name if a.recommending_unit else "", 20),
    # The legal person named on the documents (a branch's society).
    ExportColumn(_("承担单位"), TEXT, lambda a: a.organization.legal_entity().name, 28),
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


NOMINATION_COLUMNS = (
    ExportColumn(_("编号"), TEXT, lambda n: str(n.pk), 8),
    ExportColumn(_("被推荐对象名称"), TEXT, lambda n: n.nominee_name, 28),
    ExportColumn(_("类别"), TEXT, lambda n: n.get_category_display(), 24),
    ExportColumn(_("申报单位"), TEXT, lambda n: n.organization.name, 28),
    ExportColumn(_("推荐单位"), TEXT, lambda n: n.recommending_unit.name if n.recommending_unit else "", 20),
    ExportColumn(_("承担单位"), TEXT, lambda n: n.organization.legal_entity().name, 28),
    ExportColumn(_("状态"), TEXT, lambda n: n.flow_class.state_label(n.state), 18),
    ExportColumn(_("工作单位"), TEXT, lambda n: n.person_org, 24),
    ExportColumn(_("职务/职称"), TEXT, lambda n: n.person_title, 14),
    ExportColumn(_("组织实施单位"), TEXT, lambda n: n.organizer, 20),
    ExportColumn(_("所在地区"), TEXT, lambda n: n.site_region, 20),
    ExportColumn(_("开展服务活动次数"), NUMBER, lambda n: n.activities, 12),
    ExportColumn(_("服务时长（小时）"), NUMBER, lambda n: n.service_hours, 12),
    ExportColumn(_("联系人"), TEXT, lambda n: n.contact_name, 12),
    ExportColumn(_("递补"), BOOLEAN, lambda n: n.promoted, 8),
    ExportColumn(_("证书编号"), TEXT, lambda n: n.certificate_number or "", 18),
    ExportColumn(_("公布时间"), DATETIME, lambda n: n.awarded_at, 18),
    ExportColumn(_("创建时间"), DATETIME, lambda n: n.created_at, 18),
    ExportColumn(_("更新时间"), DATETIME, lambda n: n.updated_at, 18),
)


def is_formula_like(value: str) -> bool:
    return bool(value) and value.startswith(FORMULA_TRIGGERS)


def neutralize(value: str) -> str:
    """For CSV: a value that a spreadsheet would take for a formula, prefixed with ``'``."""
    return "'" + value if is_formula_like(value) else value


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # Spreadsheets have no time zones: the local (Beijing) time, as people read it.
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value is not None else None


def _rows(records: Iterable[Any], columns: tuple[ExportColumn, ...]) -> Iterable[list[Any]]:
    for count, record in enumerate(records):
        if count >= MAX_ROWS:
            break
        yield [column.value(record) for column in columns]


def xlsx(records: Iterable[Any], *, columns: tuple[ExportColumn, ...], title: str) -> bytes:
    """An .xlsx workbook (one sheet, header row frozen) of the records."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns):
        sheet.column_dimensions[_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    boolean_text = {True: str(_("是")), False: str(_("否"))}
    for values in _rows(records, columns):
        row = []
        for column, value in zip(columns, values, strict=True):
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
            elif column.kind == NUMBER:
                cell = WriteOnlyCell(sheet, value=value)
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


def csv_bytes(records: Iterable[Any], *, columns: tuple[ExportColumn, ...]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so that Excel reads the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column.title) for column in columns])
    boolean_text = {True: str(_("是")), False: str(_("否"))}
    for values in _rows(records, columns):
        out = []
        for column, value in zip(columns, values, strict=True):
            if column.kind == TEXT:
                out.append(neutralize(value or ""))
            elif column.kind == AMOUNT:
                out.append("" if value is None else f"{Decimal(value):.2f}")
            elif column.kind == NUMBER:
                out.append("" if value is None else str(value))
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

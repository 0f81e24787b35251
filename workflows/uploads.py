"""Uploaded files: recognized by their bytes, not their names; sized; digested."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG", DOCX: "DOCX", XLSX: "XLSX"}
# The part that names each Office Open XML document type (a ZIP with [Content_Types].xml).
OFFICE_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, or None."""
    for content_type, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


def sniff_office(content: bytes) -> str | None:
    """DOCX or XLSX by the parts inside the ZIP (only names are read, nothing inflated);
    None for anything else — a ZIP of other things, a macro-enabled document, a broken file."""
    import io
    import zipfile

    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "word/vbaProject.bin" in names or "xl/vbaProject.bin" in names:
                return None
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    return next((kind for part, kind in OFFICE_PARTS.items() if part in names), None)


@dataclass
class CheckedUpload:
    content: bytes
    content_type: str
    sha256: str
    size: int
    original_name: str


def check_upload(
    upload: Any, *, allowed: tuple[str, ...], max_bytes: int, min_bytes: int = 1, label: str = ""
) -> tuple[CheckedUpload | None, list[str]]:
    """Read and check one uploaded file. Returns (the checked file, []) or (None, errors)."""
    prefix = f"{label}：" if label else ""
    if upload is None:
        return None, [prefix + _("请选择要上传的文件")]
    name = str(getattr(upload, "name", "") or "file")[-255:]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        return None, [
            prefix
            + _("文件“%(name)s”大小为 %(size)s，超过上限 %(limit)s")
            % {"name": name, "size": human_size(size), "limit": human_size(max_bytes)}
        ]
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        return None, [
            prefix + _("文件“%(name)s”超过大小上限 %(limit)s") % {"name": name, "limit": human_size(max_bytes)}
        ]
    if len(content) < min_bytes:
        if min_bytes <= 1:
            return None, [prefix + _("文件“%(name)s”是空文件") % {"name": name}]
        return None, [
            prefix
            + _("文件“%(name)s”大小为 %(size)s，不足下限 %(limit)s")
            % {"name": name, "size": human_size(len(content)), "limit": human_size(min_bytes)}
        ]
    content_type = sniff(content[:16]) or (sniff_office(content) if set(allowed) & set(OFFICE_PARTS.values()) else None)
    if content_type not in allowed:
        wanted = "、".join(TYPE_LABELS[t] for t in allowed)
        return None, [
            prefix
            + _("文件“%(name)s”的内容不是 %(types)s 格式（按文件内容识别，与扩展名无关）")
            % {"name": name, "types": wanted}
        ]
    return (
        CheckedUpload(
            content=content,
            content_type=content_type,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            original_name=name.replace("/", "_").replace("\\", "_"),
        ),
        [],
    )


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"

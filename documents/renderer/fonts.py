"""The Chinese font of every PDF, registered with ReportLab once per process.

Two settings (``PDF_FONT_PATH``):

- empty: the built-in CID font ``STSong-Light`` (Adobe-GB1, encoding ``UniGB-UCS2-H``). It
  is not embedded: the reader's own Song typeface draws it; the text stays extractable.
- a TrueType file (``.ttf``, or the first face of a ``.ttc`` such as Debian's
  ``fonts-wqy-zenhei``): embedded, and subset to the characters each document uses.

ReportLab cannot read CFF-flavoured OpenType (Noto CJK ``.otf``); such a path, or one that
does not exist, falls back to the CID font with an error in the log (and a system check
warns at start-up: ``documents.checks``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading

logger = logging.getLogger(__name__)

CID_FONT = "STSong-Light"
CID_ENCODING = "UniGB-UCS2-H"

_registered: dict[str, str] = {}
_lock = threading.Lock()


def configured_path() -> str:
    """``settings.PDF_FONT_PATH`` when Django is configured, else the environment variable
    (the benchmark renders without Django)."""
    try:
        from django.conf import settings

        if settings.configured:
            return getattr(settings, "PDF_FONT_PATH", "") or ""
    except ImportError:  # pragma: no cover - Django is always installed here
        pass
    return os.environ.get("PDF_FONT_PATH", "")


def font_name(font_path: str | None = None) -> str:
    """The registered ReportLab name of the font for ``font_path`` (None: the configured
    one), registering it the first time it is asked for in this process."""
    path = configured_path() if font_path is None else font_path
    key = path or CID_FONT
    name = _registered.get(key)
    if name is not None:
        return name
    with _lock:
        name = _registered.get(key)
        if name is None:
            name = _register(path)
            _registered[key] = name
    return name


def _register(path: str) -> str:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics

    # Binary Flate streams, not ASCII85 on top: smaller files, and the pure-Python ASCII85
    # encoder was a tenth of the time of a form. Every reader handles binary PDF.
    rl_config.useA85 = 0

    if path:
        from reportlab.pdfbase.ttfonts import TTFError, TTFont

        name = "ZhihuiTTF-" + hashlib.sha256(path.encode()).hexdigest()[:10]
        options = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
        try:
            pdfmetrics.registerFont(TTFont(name, path, **options))
            return name
        except (OSError, TTFError) as exc:
            logger.error("PDF_FONT_PATH %r cannot be used (%s); falling back to %s", path, exc, CID_FONT)
    if CID_FONT not in _registered.values():
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        cid = UnicodeCIDFont(CID_FONT)
        # Unicode in, UCS-2 codes in the content stream: pypdf and readers map them back.
        assert cid.encodingName == CID_ENCODING, cid.encodingName
        pdfmetrics.registerFont(cid)
    return CID_FONT


def font_problem(path: str) -> str | None:
    """Why ``path`` cannot serve as the PDF font, or None (for the system check)."""
    if not path:
        return None
    if not os.path.isfile(path):
        return "file not found"
    if not path.lower().endswith((".ttf", ".ttc")):
        return "not a TrueType file (.ttf or .ttc); ReportLab cannot read CFF OpenType (.otf)"
    return None

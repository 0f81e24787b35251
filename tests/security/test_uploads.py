"""Uploads, beyond what the apps' tests already prove (a text file or an image named .pdf, a
file over the limit, an empty one, an MZ executable as objection evidence): executable and
script content under an allowed name is refused on every upload path; a hostile file name —
path traversal, NUL, control characters — never chooses where the file is stored (a
server-made name inside MEDIA_ROOT) and reaches the download header harmlessly; downloads are
attachments that a browser will not sniff.

The multipart bodies are written by hand: Django's test client would already strip a path
from a file name, and the point is what the server does with the name a hostile client sends.
"""

from __future__ import annotations

import itertools
import re
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from notices.models import Objection, ObjectionEvidence
from tests.applications.builders import create_draft
from tests.conftest import api_as
from tests.nominations.helpers import MB, jpeg
from tests.nominations.helpers import create_draft as create_nomination
from tests.notices import helpers as notice_helpers
from workflows.models import Attachment, Round

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Content no upload may carry, whatever its name says.
HOSTILE = {
    "ELF executable": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120,
    "MZ executable": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120,
    "shell script": b"#!/bin/sh\nrm -rf / --no-preserve-root\n",
    "HTML with script": b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    "JavaScript": b"fetch('/api/v1/auth/token/',{method:'POST'});\n",
    "SVG with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "ZIP archive": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100,
    "PNG image": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    # Leading white space or a BOM before %PDF is not a PDF either (and would slip past a
    # lenient sniffer into a viewer).
    "PDF after a BOM": b"\xef\xbb\xbf%PDF-1.4\n",
}
# File names a hostile client may send → what the server may keep of them (a name only).
NAMES = {
    b"../../etc/passwd.pdf": "passwd.pdf",
    b"..\\..\\windows\\x.pdf": "x.pdf",
    b"/etc/passwd.pdf": "passwd.pdf",
    b"C:\\Windows\\system32\\evil.pdf": "evil.pdf",
    b"nul\x00byte.pdf": "nulbyte.pdf",
    b"tab\tand\x1bescape\x07.pdf": "tabandescape.pdf",
    b"..%2f..%2fetc%2fpasswd.pdf": "..%2f..%2fetc%2fpasswd.pdf",
    b'quote"; filename="evil.html.pdf': None,  # anything, as long as it is only a name
    "申报书（盖章）.pdf".encode(): "申报书（盖章）.pdf",
}
BOUNDARY = "zhihui-security-boundary-7c1f"
_addresses = itertools.count(1)
CASES = {"refused": 0, "names": 0}


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, bytes]]) -> bytes:
    """A multipart body with file names exactly as given (bytes, not cleaned)."""
    out = b""
    for key, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    for field, filename, content in files:
        out += f"--{BOUNDARY}\r\n".encode()
        out += b'Content-Disposition: form-data; name="' + field.encode() + b'"; filename="' + filename + b'"\r\n'
        out += b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def post_multipart(client: Any, url: str, fields: dict[str, str], files: list[tuple[str, bytes, bytes]], **extra):
    return client.generic(
        "POST", url, multipart(fields, files), content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra
    )


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def everything_outside_media() -> set[str]:
    """Files in the test's directory but outside MEDIA_ROOT (there must be none)."""
    root = Path(settings.MEDIA_ROOT)
    return {str(p) for p in root.parent.rglob("*") if p.is_file() and root not in p.parents}


@pytest.fixture
def draft(users) -> dict[str, Any]:
    round_id = Round.objects.get(kind="application").pk
    return {
        "application": create_draft(users, round_id, "applicant_csf_br1", sealed=False),
        "nomination": create_nomination(
            users, Round.objects.get(kind="selection").pk, "volunteer", "applicant_gd_fish", attachments=False
        ),
    }


@pytest.fixture
def notice(users, orgs) -> dict[str, Any]:
    round_ = Round.objects.get(kind="application")
    bulletin = notice_helpers.bulletin(users, orgs, round_, title="上传测试项目")
    published = notice_helpers.published_notice(users, round_, [bulletin])
    return {"id": published.pk, "entry": published.entries.get().pk}


def not_a(name: str, types: str, label: str) -> str:
    return f"{label}：文件“{name}”的内容不是 {types} 格式（按文件内容识别，与扩展名无关）"


def file_objection(notice: dict[str, Any], files: list[tuple[str, bytes, bytes]]) -> Any:
    fields = {"entry": str(notice["entry"]), **notice_helpers.OBJECTOR}
    return post_multipart(
        Client(),
        f"/api/v1/public/notices/{notice['id']}/objections/",
        fields,
        files,
        REMOTE_ADDR=f"198.51.100.{next(_addresses)}",
    )


def test_executable_and_script_content_is_refused_on_every_upload_path(users, draft, notice):
    app, nom = draft["application"], draft["nomination"]
    applicant = api_as(users["applicant_csf_br1"])
    page = Client()
    page.force_login(users["applicant_csf_br1"])
    nominator = api_as(users["applicant_gd_fish"])
    before = (stored_files(), Attachment.objects.count(), Objection.objects.count(), ObjectionEvidence.objects.count())
    sealed = "加盖公章的申报书（PDF）"
    for what, content in HOSTILE.items():
        # The application's sealed form over the API, named .pdf.
        response = post_multipart(
            applicant,
            f"/api/v1/applications/{app}/attachments/",
            {"kind": "sealed_application"},
            [("file", b"form.pdf", content)],
        )
        assert (what, response.status_code, response.json()["errors"]) == (
            what,
            400,
            [not_a("form.pdf", "PDF", sealed)],
        )
        # The same through the page's form: the detail page again, with the message.
        response = post_multipart(
            page, f"/applications/{app}/attachments/", {"kind": "sealed_application"}, [("file", b"form.pdf", content)]
        )
        assert (what, response.status_code) == (what, 302)
        assert not_a("form.pdf", "PDF", sealed) in page.get(response["Location"]).content.decode()
        # A nomination's photo named .jpg (JPG only, 1–3 MB: padded to pass the size check)
        # and its unit opinion named .pdf.
        padded = content.ljust(MB + 16, b"\0")
        response = post_multipart(
            nominator, f"/api/v1/nominations/{nom}/attachments/", {"kind": "photo"}, [("file", b"photo.jpg", padded)]
        )
        assert (what, response.status_code, response.json()["errors"]) == (
            what,
            400,
            [not_a("photo.jpg", "JPG", "工作照片（JPG，1–3 MB）")],
        )
        response = post_multipart(
            nominator,
            f"/api/v1/nominations/{nom}/attachments/",
            {"kind": "unit_opinion"},
            [("file", b"opinion.pdf", content)],
        )
        assert (what, response.status_code) == (what, 400)
        # Evidence of a public objection (PDF, JPG or PNG; a PNG is fine there).
        if what != "PNG image":
            response = file_objection(notice, [("evidence", b"evidence.pdf", content)])
            assert (what, response.status_code, response.json()["errors"]) == (
                what,
                400,
                [not_a("evidence.pdf", "PDF、JPG、PNG", "证明材料")],
            )
        CASES["refused"] += 5
    after = (stored_files(), Attachment.objects.count(), Objection.objects.count(), ObjectionEvidence.objects.count())
    assert after == before
    print(f"\nuploads: {CASES['refused']} hostile files refused")


def test_a_hostile_file_name_never_chooses_where_the_file_goes(users, draft, notice):
    app = draft["application"]
    applicant = api_as(users["applicant_csf_br1"])
    for raw, expected in NAMES.items():
        response = post_multipart(
            applicant, f"/api/v1/applications/{app}/attachments/", {"kind": "other"}, [("file", raw, PDF)]
        )
        assert (raw, response.status_code) == (raw, 201), response.json()
        attachment = Attachment.objects.get(pk=response.json()["id"])
        if expected is not None:
            assert (raw, attachment.original_name) == (raw, expected)
        assert not re.search(r"[/\\\x00-\x1f\x7f]", attachment.original_name), raw
        # Stored under a name the server made, inside MEDIA_ROOT.
        assert re.fullmatch(rf"attachments/applications\.application/{app}/[0-9a-f]{{32}}\.pdf", attachment.file.name)
        path = Path(attachment.file.path).resolve()
        assert Path(settings.MEDIA_ROOT).resolve() in path.parents and path.read_bytes() == PDF
        CASES["names"] += 1
    # A name that is only "..": no file at all (Django drops it), so nothing is stored.
    response = post_multipart(
        applicant, f"/api/v1/applications/{app}/attachments/", {"kind": "other"}, [("file", b"..", PDF)]
    )
    assert (response.status_code, response.json()["errors"]) == (400, ["其他附件：请选择要上传的文件"])
    assert everything_outside_media() == set()
    assert not (Path(settings.MEDIA_ROOT) / "../../etc/passwd.pdf").resolve().exists()

    # Objection evidence: the same.
    response = file_objection(notice, [("evidence", raw, PDF) for raw in list(NAMES)[:5]])
    assert response.status_code == 201, response.json()
    objection = Objection.objects.get(reference=response.json()["reference"])
    assert sorted(e.original_name for e in objection.evidence.all()) == sorted(
        ["passwd.pdf", "x.pdf", "passwd.pdf", "evil.pdf", "nulbyte.pdf"]
    )
    for evidence in objection.evidence.all():
        assert re.fullmatch(rf"objections/{objection.reference}/[0-9a-f]{{32}}\.pdf", evidence.file.name)
        CASES["names"] += 1
    assert everything_outside_media() == set()
    print(f"\nuploads: {CASES['names']} hostile names stored under server-made names")


def disposition(response: Any) -> tuple[str, str | None]:
    message = Message()
    message["Content-Disposition"] = response["Content-Disposition"]
    return message.get_content_disposition(), message.get_filename()


def test_downloads_are_attachments_that_are_not_sniffed(users, draft, notice):
    """Every download path: the API's (applications, nominations), the pages' and the objection
    evidence's; the name in the header is exactly the kept name, quotes and all."""
    app, nom = draft["application"], draft["nomination"]
    applicant = api_as(users["applicant_csf_br1"])
    hostile_name = b'quote"; filename="evil.html.pdf'
    response = post_multipart(
        applicant, f"/api/v1/applications/{app}/attachments/", {"kind": "other"}, [("file", hostile_name, PDF)]
    )
    attachment = Attachment.objects.get(pk=response.json()["id"])
    nominator = api_as(users["applicant_gd_fish"])
    response = post_multipart(
        nominator, f"/api/v1/nominations/{nom}/attachments/", {"kind": "unit_opinion"}, [("file", b"a.pdf", PDF)]
    )
    opinion = Attachment.objects.get(pk=response.json()["id"])
    photo_response = post_multipart(
        nominator, f"/api/v1/nominations/{nom}/attachments/", {"kind": "photo"}, [("file", b"p.jpg", jpeg())]
    )
    photo = Attachment.objects.get(pk=photo_response.json()["id"])
    # The multipart parser keeps what follows the last "/": "b>.pdf".
    objection = file_objection(notice, [("evidence", b"<b>x</b>.pdf", PDF)]).json()
    evidence = ObjectionEvidence.objects.get(objection__reference=objection["reference"])

    staff = Client()
    staff.force_login(users["cast_staff"])
    page_applicant = Client()
    page_applicant.force_login(users["applicant_csf_br1"])
    page_nominator = Client()
    page_nominator.force_login(users["applicant_gd_fish"])
    downloads = [
        (applicant, f"/api/v1/applications/{app}/attachments/{attachment.pk}/", attachment.original_name),
        (page_applicant, f"/applications/{app}/attachments/{attachment.pk}/", attachment.original_name),
        (nominator, f"/api/v1/nominations/{nom}/attachments/{opinion.pk}/", "a.pdf"),
        (page_nominator, f"/nominations/{nom}/attachments/{opinion.pk}/", "a.pdf"),
        (nominator, f"/api/v1/nominations/{nom}/attachments/{photo.pk}/", "p.jpg"),
        (staff, f"/public/manage/objections/{evidence.objection_id}/evidence/{evidence.pk}/", "b>.pdf"),
    ]
    for client, url, name in downloads:
        response = client.get(url)
        assert (url, response.status_code) == (url, 200)
        assert (url, disposition(response)) == (url, ("attachment", name))
        assert (url, response["X-Content-Type-Options"]) == (url, "nosniff")
        # The type recognised from the bytes at upload, never the client's.
        assert response["Content-Type"] in ("application/pdf", "image/jpeg")
        b"".join(response.streaming_content)
    # The one inline download: a nomination's photo on its page (a thumbnail), as image/jpeg
    # recognised from its bytes, never sniffed, never cached.
    response = page_nominator.get(f"/nominations/{nom}/attachments/{photo.pk}/")
    assert (disposition(response), response["Content-Type"], response["X-Content-Type-Options"]) == (
        ("inline", "p.jpg"),
        "image/jpeg",
        "nosniff",
    )
    assert response["Cache-Control"] == "private, max-age=0, no-store"
    b"".join(response.streaming_content)

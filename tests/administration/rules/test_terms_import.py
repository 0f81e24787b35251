"""Importing a term list (CSV) from the site: all or nothing, every bad line named at once; one
"imported" audit event on each term the import changes (created, changed, switched off), none
on a term already as listed; the command ``import_sensitive_terms`` keeps working."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from administration.rules import services
from tests.administration.rules.conftest import events_of
from workflows.exceptions import InvalidInput
from workflows.models import AuditEvent, SensitiveTerm
from workflows.scanner import scan_fields

IP = "198.51.100.4"
# The demo's terms: 法轮功, 赌博, 传销 (illegal, block), 包治百病 (harmful, review), 伪科学 (harmful, notice).
GOOD = (
    "\ufeffterm,category,severity\n"
    "# 2026 年词表\n"
    "\n"
    "赌博,illegal,block\n"  # as stored: unchanged
    "包治百病,harmful,block\n"  # severity changed
    '"健康,养殖",ads,notice\n'  # quoted, with a comma inside
    "神药\tharmful\treview\n"  # tab separated
    "偏方\n"  # defaults: general, review
).encode()


def terms() -> dict[str, tuple[str, str, bool]]:
    return {t.term: (t.category, t.severity, t.active) for t in SensitiveTerm.objects.all()}


def run(users, content: bytes, **data):
    return services.sensitive_terms_import(actor=users["cast_staff"], data={"file": content, **data}, client_ip=IP)


def imported(term: str) -> list[tuple[str, str, dict]]:
    row = SensitiveTerm.objects.get(term=term)
    return [(e.action, e.opinion, e.data) for e in events_of(row)]


def test_an_import_creates_and_changes_terms_each_with_its_event(users):
    outcome = run(users, GOOD, reason="2026 年词表更新")
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.disabled) == (3, 1, 1, 0)
    digest = hashlib.sha256(GOOD).hexdigest()
    assert terms() == {
        "法轮功": ("illegal", "block", True),
        "赌博": ("illegal", "block", True),
        "传销": ("illegal", "block", True),
        "包治百病": ("harmful", "block", True),
        "伪科学": ("harmful", "notice", True),
        "健康,养殖": ("ads", "notice", True),
        "神药": ("harmful", "review", True),
        "偏方": ("general", "review", True),
    }
    assert imported("包治百病") == [
        (
            "imported",
            "2026 年词表更新",
            {
                "changes": {"severity": {"before": "review", "after": "block"}},
                "import": {"sha256": digest, "outcome": "updated"},
            },
        )
    ]
    assert imported("偏方") == [
        (
            "imported",
            "2026 年词表更新",
            {
                "changes": {
                    "active": {"before": None, "after": True},
                    "category": {"before": None, "after": "general"},
                    "exceptions": {"before": None, "after": []},
                    "severity": {"before": None, "after": "review"},
                    "term": {"before": None, "after": "偏方"},
                },
                "import": {"sha256": digest, "outcome": "created"},
            },
        )
    ]
    assert imported("赌博") == []
    events = AuditEvent.objects.filter(action="imported").order_by("pk")
    # In the file's order; each by CAST staff from the client's address.
    assert [SensitiveTerm.objects.get(pk=e.record_id).term for e in events] == ["包治百病", "健康,养殖", "神药", "偏方"]
    assert {(e.actor.username, e.actor_org, e.actor_role, e.client_ip) for e in events} == {
        ("cast_staff", "CAST", "cast_staff", IP)
    }
    # The scanner sees the new list.
    assert [f["term"] for f in scan_fields([("内容", "推销神药和偏方")])] == ["神药", "偏方"]


def test_the_same_file_again_changes_nothing(users):
    run(users, GOOD)
    before = AuditEvent.objects.count()
    outcome = run(users, GOOD)
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.disabled) == (0, 0, 5, 0)
    assert AuditEvent.objects.count() == before


def test_deactivate_missing_switches_off_the_unlisted_terms(users):
    SensitiveTerm.objects.filter(term="伪科学").update(active=False)
    outcome = run(users, "赌博,illegal,block\n伪科学,harmful,notice\n".encode(), deactivate_missing="true")
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.disabled) == (0, 1, 1, 3)
    assert {t: a for t, (_c, _s, a) in terms().items()} == {
        "法轮功": False,
        "赌博": True,
        "传销": False,
        "包治百病": False,
        "伪科学": True,
    }
    assert [(a, d["changes"], d["import"]["outcome"]) for a, _r, d in imported("传销")] == [
        ("imported", {"active": {"before": True, "after": False}}, "disabled")
    ]
    assert [(d["changes"], d["import"]["outcome"]) for _a, _r, d in imported("伪科学")] == [
        ({"active": {"before": False, "after": True}}, "updated")
    ]
    # Listed terms first (file order), then the switched-off ones by word.
    order = [SensitiveTerm.objects.get(pk=e.record_id).term for e in AuditEvent.objects.filter(action="imported")]
    assert order == ["伪科学", *sorted(["法轮功", "传销", "包治百病"])]


def test_every_bad_line_is_named_and_nothing_written(users):
    content = (
        "term,category,severity\n"
        "好词\n"
        ",illegal,block\n"
        "甲,乙,丙,甲丁,戊\n"
        "坏词,ads,fatal\n"
        f"{'长' * 101}\n"
        "，。！\n"
        f"分类过长,{'c' * 51}\n"
        "好词,ads\n"
        "ＨＡＯ词\n"
        "hao词\n"
        '"未闭合,ads\n'
    ).encode()
    before = (terms(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as exc:
        run(users, content)
    assert exc.value.errors == [
        "第 3 行：词语为空",
        "第 4 行：列数过多（5 列），最多 4 列：词语,类别,严重程度,例外短语",
        "第 5 行：未知的严重程度“fatal”，应为 notice、review 或 block",
        "第 6 行：词语过长（101 个字符），最多 100 个",
        "第 7 行：词语“，。！”去除空格和标点后为空",
        "第 8 行：类别过长（51 个字符），最多 50 个",
        "第 9 行：词语“好词”与第 2 行重复",
        "第 11 行：词语“hao词”与第 10 行的“ＨＡＯ词”规范化后相同",
        "第 12 行：引号不成对",
    ]
    assert (terms(), AuditEvent.objects.count()) == before


def test_files_that_cannot_be_read(users):
    with pytest.raises(InvalidInput) as exc:
        run(users, b"ok\n\xff\xfe bad\n", reason="r" * 2001)
    assert exc.value.errors == [
        "“修改理由”不得超过 2000 个字符",
        "第 2 行：不是有效的 UTF-8 编码（请以 UTF-8 保存 CSV）",
    ]
    with pytest.raises(InvalidInput) as exc:
        run(users, b"# only a comment\n\n")
    assert exc.value.errors == ["文件中没有任何词语"]
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_terms_import(actor=users["cast_staff"], data={"deactivate_missing": "maybe"})
    assert exc.value.errors == ["请选择要导入的文件", "“停用文件中未列出的词语”必须是是/否"]
    with pytest.raises(InvalidInput) as exc:
        run(users, b"x" * (5 * 1024 * 1024 + 1))
    assert exc.value.errors == ["文件不得超过 5 MB"]


def test_a_listed_term_the_scanner_would_take_for_an_active_stored_one(users):
    with pytest.raises(InvalidInput) as exc:
        run(users, "新词\n赌 博,illegal,block\n".encode())
    assert exc.value.errors == ["第 2 行：词语“赌 博”与已启用的词语“赌博”规范化后相同"]
    # Replacing the whole list, the stored spelling is switched off: no clash.
    run(users, "赌 博,illegal,block\n".encode(), deactivate_missing="on")
    assert terms()["赌博"][2] is False and terms()["赌 博"][2] is True


def test_the_import_page(as_user, users):
    staff = as_user("cast_staff")
    html = staff.get("/manage/rules/terms/import/").content.decode()
    assert 'name="file" type="file"' in html and 'name="deactivate_missing"' in html
    response = staff.post("/manage/rules/terms/import/", {"reason": "无文件"})
    assert response.status_code == 400
    assert "<li>请选择要导入的文件</li>" in response.content.decode()
    upload = SimpleUploadedFile("terms.csv", GOOD, content_type="text/csv")
    response = staff.post("/manage/rules/terms/import/", {"file": upload, "reason": "页面导入"}, follow=True)
    assert "导入完成：新增 3 个，更新 1 个，未变 1 个，停用 0 个" in response.content.decode()
    assert AuditEvent.objects.filter(action="imported", opinion="页面导入").count() == 4
    log = as_user("auditor").get("/manage/rules/log/?action=imported").content.decode()
    digest = hashlib.sha256(GOOD).hexdigest()
    assert "共 4 条记录。" in log
    assert f"import: {{&quot;sha256&quot;: &quot;{digest}&quot;, &quot;outcome&quot;: &quot;updated&quot;}}" in log
    bad = SimpleUploadedFile("terms.csv", "坏词,ads,fatal\n".encode(), content_type="text/csv")
    response = staff.post("/manage/rules/terms/import/", {"file": bad})
    assert response.status_code == 400
    assert "<li>第 1 行：未知的严重程度“fatal”，应为 notice、review 或 block</li>" in response.content.decode()


def test_the_command_still_imports(users, tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("神药,harmful,block\n", encoding="utf-8")
    call_command("import_sensitive_terms", str(path), stdout=open("/dev/null", "w"))
    assert terms()["神药"] == ("harmful", "block", True)

"""CAST's context exceptions of sensitive terms (防范传销 for 传销, 反赌博 for 赌博): kept on the
term pages and in the term list import (page and ``manage.py import_sensitive_terms``), each
change an audited rule change with before and after, every bad phrase refused at once; the
scanner honours them as soon as they change."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from administration.rules import services
from tests.administration.rules.conftest import OUTSIDERS, events_of, shape
from workflows.exceptions import InvalidInput
from workflows.models import AuditEvent, SensitiveTerm
from workflows.scanner import scan_fields

IP = "203.0.113.7"
TEXT = "开展防范传销、反赌博宣传；揭露赌博和传销的危害。"


def found(text: str = TEXT) -> list[tuple[str, int]]:
    return [(f["term"], f["start"]) for f in scan_fields([("内容", text)])]


def counts() -> tuple[int, int]:
    return SensitiveTerm.objects.count(), AuditEvent.objects.count()


def exceptions_of(term: str) -> list[str]:
    return SensitiveTerm.objects.get(term=term).exceptions


def test_the_demo_terms_carry_the_exceptions_and_the_scanner_honours_them(users):
    assert exceptions_of("传销") == ["防范传销", "打击传销", "反传销"]
    assert exceptions_of("赌博") == ["反赌博", "禁赌博", "拒绝赌博", "远离赌博"]
    # 防范传销 and 反赌博 are excepted; the two other occurrences are findings.
    assert found() == [("赌博", 15), ("传销", 18)]


def test_staff_change_the_exceptions_with_a_reason_audited_and_seen_at_once(users):
    term = SensitiveTerm.objects.get(term="赌博")
    services.sensitive_term_change(
        term=term,
        actor=users["cast_staff"],
        data={
            "term": "赌博",
            "category": "illegal",
            "severity": "block",
            "exceptions": ["反赌博", "揭露赌博"],
            "reason": "“揭露赌博”是禁毒禁赌宣传的常用说法",
        },
        client_ip=IP,
    )
    assert exceptions_of("赌博") == ["反赌博", "揭露赌博"]
    assert shape(events_of(term)[-1]) == {
        "action": "changed",
        "actor": "cast_staff",
        "actor_org": "CAST",
        "actor_role": "cast_staff",
        "reason": "“揭露赌博”是禁毒禁赌宣传的常用说法",
        "data": {
            "changes": {
                "exceptions": {
                    "before": ["反赌博", "禁赌博", "拒绝赌博", "远离赌博"],
                    "after": ["反赌博", "揭露赌博"],
                }
            }
        },
        "client_ip": IP,
    }
    assert found() == [("传销", 18)]

    # A change that does not send the exceptions (API-style) leaves them as they are.
    services.sensitive_term_change(
        term=term,
        actor=users["cast_staff"],
        data={"term": "赌博", "category": "illegal", "severity": "review", "reason": "降级"},
    )
    assert (exceptions_of("赌博"), SensitiveTerm.objects.get(term="赌博").severity) == (
        ["反赌博", "揭露赌博"],
        "review",
    )
    assert shape(events_of(term)[-1])["data"] == {"changes": {"severity": {"before": "block", "after": "review"}}}

    # Emptied: every occurrence counts again.
    services.sensitive_term_change(
        term=term,
        actor=users["cast_staff"],
        data={"term": "赌博", "category": "illegal", "severity": "review", "exceptions": "", "reason": "取消例外"},
    )
    assert exceptions_of("赌博") == []
    assert found() == [("赌博", 8), ("赌博", 15), ("传销", 18)]


def test_a_new_term_with_exceptions(users):
    term = services.sensitive_term_create(
        actor=users["cast_staff"],
        data={"term": "邪教", "category": "illegal", "severity": "block", "exceptions": "反邪教\n 识别邪教 \n\n"},
        client_ip=IP,
    )
    assert term.exceptions == ["反邪教", "识别邪教"]
    assert shape(events_of(term)[0])["data"]["changes"]["exceptions"] == {
        "before": None,
        "after": ["反邪教", "识别邪教"],
    }
    assert found("开展反邪教宣传，揭露邪教本质。") == [("邪教", 10)]


def test_bad_exceptions_are_refused_every_one_at_once_and_nothing_written(users):
    before = counts()
    term = SensitiveTerm.objects.get(term="传销")
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_change(
            term=term,
            actor=users["cast_staff"],
            data={
                "term": "传销",
                "category": "illegal",
                "severity": "block",
                "exceptions": ["防范传销", "反诈骗", "传 销", "防范·传销", "传" + "销" * 100],
                "reason": "调整",
            },
        )
    assert exc.value.errors == [
        "例外短语“反诈骗”不含词语“传销”",
        "例外短语“传 销”与词语本身相同，会使该词语失效",
        "例外短语“防范·传销”与“防范传销”重复",
        f"例外短语“传{'销' * 100}”过长，最多 100 个字符",
    ]
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_create(
            actor=users["cast_staff"], data={"term": "新词", "exceptions": {"a": 1}, "severity": "review"}
        )
    assert exc.value.errors == ["“例外短语”必须是文本或文本列表"]
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_create(
            actor=users["cast_staff"], data={"term": "新词", "exceptions": [f"新词{n}" for n in range(51)]}
        )
    assert exc.value.errors == ["例外短语最多 50 个（现有 51 个）"]
    assert counts() == before
    assert exceptions_of("传销") == ["防范传销", "打击传销", "反传销"]


def test_the_term_page_edits_the_exceptions(as_user, users):
    term = SensitiveTerm.objects.get(term="传销")
    url = f"/manage/rules/terms/{term.pk}/"
    staff = as_user("cast_staff")
    html = staff.get(url).content.decode()
    assert '<textarea id="t-exceptions" name="exceptions" rows="3">防范传销\n打击传销\n反传销</textarea>' in html
    data = {"term": "传销", "category": "illegal", "severity": "block", "reason": "补充"}
    response = staff.post(url, {**data, "exceptions": "防范传销\r\n诈骗"})
    assert response.status_code == 400
    assert "<li>例外短语“诈骗”不含词语“传销”</li>" in response.content.decode()
    assert exceptions_of("传销") == ["防范传销", "打击传销", "反传销"]
    response = staff.post(url, {**data, "exceptions": "防范传销\r\n打击传销\r\n识破传销"}, REMOTE_ADDR=IP, follow=True)
    assert "敏感词已修改" in response.content.decode()
    assert exceptions_of("传销") == ["防范传销", "打击传销", "识破传销"]
    assert [(e.action, e.actor, e.client_ip) for e in events_of(term)][-1] == ("changed", users["cast_staff"], IP)
    listing = staff.get("/manage/rules/terms/?q=传销").content.decode()
    assert "<td>防范传销 | 打击传销 | 识破传销</td>" in listing
    log = staff.get("/manage/rules/log/?subject=workflows.sensitiveterm").content.decode()
    assert "例外短语" in log
    # Nobody else edits them.
    before = counts()
    for username in (*OUTSIDERS, "auditor"):
        assert as_user(username).post(url, {**data, "exceptions": ""}).status_code == 404
    assert counts() == before
    assert exceptions_of("传销") == ["防范传销", "打击传销", "识破传销"]


def test_the_import_takes_an_exceptions_column(users):
    content = (
        "term,category,severity,exceptions\n"
        "传销,illegal,block,防范传销|打击传销\n"  # changed: 反传销 dropped
        "赌博,illegal,block\n"  # no column: its exceptions stay
        "邪教,illegal,block,反邪教 | 识别邪教\n"  # new
        "伪科学,harmful,notice,\n"  # the column empty: none left
    ).encode()
    outcome = services.sensitive_terms_import(
        actor=users["cast_staff"], data={"file": content, "reason": "2027 年词表"}, client_ip=IP
    )
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.disabled) == (1, 2, 1, 0)
    assert {t.term: t.exceptions for t in SensitiveTerm.objects.all()} == {
        "传销": ["防范传销", "打击传销"],
        "赌博": ["反赌博", "禁赌博", "拒绝赌博", "远离赌博"],
        "邪教": ["反邪教", "识别邪教"],
        "伪科学": [],
        "法轮功": [],
        "包治百病": [],
    }
    changed = events_of(SensitiveTerm.objects.get(term="传销"))[-1]
    assert (changed.action, changed.opinion, changed.data["changes"]) == (
        "imported",
        "2027 年词表",
        {"exceptions": {"before": ["防范传销", "打击传销", "反传销"], "after": ["防范传销", "打击传销"]}},
    )
    assert events_of(SensitiveTerm.objects.get(term="赌博")) == []
    assert found("反传销宣传") == [("传销", 1)]


def test_bad_exceptions_in_an_import_are_named_by_line(users):
    before = counts()
    content = "传销,illegal,block,防范传销|诈骗\n赌博,illegal,block,赌博\n".encode()
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_terms_import(actor=users["cast_staff"], data={"file": content})
    assert exc.value.errors == [
        "第 1 行：例外短语“诈骗”不含词语“传销”",
        "第 2 行：例外短语“赌博”与词语本身相同，会使该词语失效",
    ]
    assert counts() == before


def test_the_import_page_takes_the_column(as_user):
    upload = SimpleUploadedFile("terms.csv", "邪教,illegal,block,反邪教\n".encode(), content_type="text/csv")
    response = as_user("cast_staff").post(
        "/manage/rules/terms/import/", {"file": upload, "reason": "补充"}, follow=True
    )
    assert response.status_code == 200
    assert exceptions_of("邪教") == ["反邪教"]


def test_the_command_takes_the_column(users, tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("传销,illegal,block,防范传销|识破传销\n邪教\tillegal\tblock\t反邪教\n赌博,illegal,block\n")
    call_command("import_sensitive_terms", str(path), stdout=io.StringIO())
    assert exceptions_of("传销") == ["防范传销", "识破传销"]
    assert exceptions_of("邪教") == ["反邪教"]
    assert exceptions_of("赌博") == ["反赌博", "禁赌博", "拒绝赌博", "远离赌博"]
    assert found("识破传销，揭露邪教") == [("邪教", 7)]
    path.write_text("传销,illegal,block,诈骗\n")
    with pytest.raises(CommandError) as refused:
        call_command("import_sensitive_terms", str(path), stdout=io.StringIO())
    assert '第 1 行：例外短语 "诈骗" 须包含词语 "传销" 且不同于它' in str(refused.value)
    assert exceptions_of("传销") == ["防范传销", "识破传销"]

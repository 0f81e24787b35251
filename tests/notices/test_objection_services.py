"""Objections: filing by the public (validation, evidence by bytes, rate limit) and the
decision by CAST staff (uphold revokes, dismiss does not; the objector is told)."""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import pytest

from notices import services
from notices.models import Objection, ObjectionEvidence, ObjectionStatus
from notifications.models import Notification
from tests.notices.helpers import (
    JPEG_BYTES,
    OBJECTOR,
    PDF_BYTES,
    PNG_BYTES,
    bulletin,
    draft_notice,
    end_period,
    file_objection,
    published_notice,
    row_counts,
    states,
    upload,
)
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from workflows.models import AuditEvent

MB = 1024 * 1024


@pytest.fixture
def setup(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    notice = published_notice(users, open_round, [a, b])
    entries = {e.record_id: e for e in notice.entries.all()}
    return SimpleNamespace(a=a, b=b, notice=notice, entry_a=entries[a.pk], entry_b=entries[b.pk])


def record_events(record) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(record_type="testapp.bulletin", record_id=record.pk).order_by("record_seq"))


# -- filing ----------------------------------------------------------------------------------


def test_file_stores_the_objection_with_evidence_audits_and_tells_cast_staff(users, setup):
    files = [upload("举报材料.pdf", PDF_BYTES), upload("现场照片.png", PNG_BYTES), upload("photo.pdf", JPEG_BYTES)]
    objection = file_objection(setup.notice, str(setup.entry_a.pk), files=files, client_ip="203.0.113.7")
    assert re.fullmatch(r"YY\d{4}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", objection.reference)
    stored = Objection.objects.get()
    assert (
        stored.notice,
        stored.entry,
        stored.objector_name,
        stored.identity,
        stored.unit,
        stored.phone,
        stored.email,
        stored.content,
        stored.status,
        stored.client_ip,
    ) == (
        setup.notice,
        setup.entry_a,
        OBJECTOR["name"],
        OBJECTOR["identity"],
        OBJECTOR["unit"],
        OBJECTOR["phone"],
        OBJECTOR["email"],
        OBJECTOR["content"],
        ObjectionStatus.FILED,
        "203.0.113.7",
    )
    evidence = list(ObjectionEvidence.objects.order_by("pk"))
    assert [(e.original_name, e.content_type, e.size, e.sha256) for e in evidence] == [
        ("举报材料.pdf", "application/pdf", len(PDF_BYTES), hashlib.sha256(PDF_BYTES).hexdigest()),
        ("现场照片.png", "image/png", len(PNG_BYTES), hashlib.sha256(PNG_BYTES).hexdigest()),
        ("photo.pdf", "image/jpeg", len(JPEG_BYTES), hashlib.sha256(JPEG_BYTES).hexdigest()),
    ]
    for e, ext in zip(evidence, ("pdf", "png", "jpg"), strict=True):
        # Stored under a name the server made, with the extension of what the bytes are.
        assert re.fullmatch(rf"objections/{objection.reference}/[0-9a-f]{{32}}\.{ext}", e.file.name)
        with e.file.open("rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == e.sha256
    event = record_events(setup.a)[-1]
    assert (event.action, event.actor, event.data, event.from_state, event.to_state, event.client_ip) == (
        "objection_filed",
        None,
        {"reference": objection.reference},
        "public_notice",
        "public_notice",
        "203.0.113.7",
    )
    rows = Notification.objects.filter(message_key="objection_filed")
    assert sorted((n.recipient.username, n.channel) for n in rows) == [
        ("cast_staff", "email"),
        ("cast_staff", "in_app"),
    ]
    assert rows.first().context["title"] == "甲项目"
    assert states(setup.a) == ["public_notice"]


def test_email_is_optional(setup):
    objection = file_objection(setup.notice, setup.entry_b.pk, email="")
    assert (objection.email, objection.entry) == ("", setup.entry_b)


def test_missing_fields_are_all_listed_and_nothing_is_written(setup):
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        services.objection_file(
            notice=setup.notice,
            entry_id="",
            name="",
            identity=" ",
            unit="",
            phone="",
            email="",
            content="",
            files=[],
            client_ip="203.0.113.7",
        )
    assert exc.value.errors == [
        "请选择异议对象（公示名单中的一项）",
        "请填写姓名",
        "请填写工作单位",
        "请填写联系电话",
        "请填写异议内容",
    ]
    assert row_counts() == before


def test_formats_and_lengths(setup):
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        file_objection(
            setup.notice,
            "abc",
            name="王" * 51,
            identity="x" * 101,
            unit="单" * 201,
            phone="call me 123",
            email="not-an-email",
            content="太短了",
        )
    assert exc.value.errors == [
        "请选择异议对象（公示名单中的一项）",
        "姓名不得超过 50 个字符",
        "职务或身份不得超过 100 个字符",
        "工作单位不得超过 200 个字符",
        "联系电话只能包含数字、“+”和“-”，长度为 7 至 20 位",
        "电子邮箱格式不正确",
        "异议内容不得少于 10 个字符",
    ]
    with pytest.raises(InvalidInput) as exc:
        file_objection(setup.notice, setup.entry_a.pk, phone="123456", content="异" * 2001)
    assert exc.value.errors == ["联系电话只能包含数字、“+”和“-”，长度为 7 至 20 位", "异议内容不得超过 2000 个字符"]
    with pytest.raises(InvalidInput) as exc:
        file_objection(setup.notice, setup.entry_a.pk, phone="+-+-+-+-+-")
    assert exc.value.errors == ["联系电话只能包含数字、“+”和“-”，长度为 7 至 20 位"]
    assert row_counts() == before
    assert file_objection(setup.notice, setup.entry_a.pk, phone="0759-1234567", content="异" * 2000).phone == (
        "0759-1234567"
    )


def test_a_text_file_renamed_pdf_is_refused(setup):
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        file_objection(
            setup.notice,
            setup.entry_a.pk,
            files=[
                upload("证据.pdf", "这其实是一个文本文件。".encode(), "application/pdf"),
                upload("ok.pdf", PDF_BYTES),
            ],
        )
    assert exc.value.errors == ["证明材料：文件“证据.pdf”的内容不是 PDF、JPG、PNG 格式（按文件内容识别，与扩展名无关）"]
    assert row_counts() == before


def test_an_oversized_or_empty_file_is_refused(setup):
    big = upload("big.pdf", b"%PDF-" + b"0" * (11 * MB - 5), "application/pdf")
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        file_objection(setup.notice, setup.entry_a.pk, files=[big, upload("empty.png", b"")])
    assert exc.value.errors == [
        "证明材料：文件“big.pdf”大小为 11.0 MB，超过上限 10.0 MB",
        "证明材料：文件“empty.png”是空文件",
    ]
    assert row_counts() == before


def test_at_most_five_files(setup):
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        file_objection(setup.notice, setup.entry_a.pk, files=[upload(f"{i}.pdf", PDF_BYTES) for i in range(6)])
    assert exc.value.errors == ["证明材料最多 5 个文件，您选择了 6 个"]
    assert row_counts() == before
    file_objection(setup.notice, setup.entry_a.pk, files=[upload(f"{i}.pdf", PDF_BYTES) for i in range(5)])
    assert ObjectionEvidence.objects.count() == 5


def test_only_entries_of_that_notice_during_its_period(users, orgs, open_round, setup):
    other = draft_notice(users, open_round, [bulletin(users, orgs, open_round, title="丙项目")], title="另一公示")
    before = row_counts()
    with pytest.raises(InvalidInput) as exc:
        file_objection(setup.notice, other.entries.get().pk)
    assert exc.value.errors == ["请选择异议对象（公示名单中的一项）"]
    with pytest.raises(InvalidInput) as exc:
        file_objection(other, other.entries.get().pk)
    assert exc.value.errors == ["该公示不在公示期内，不接受异议"]
    end_period(setup.notice)
    with pytest.raises(InvalidInput) as exc:
        file_objection(setup.notice, setup.entry_a.pk)
    assert exc.value.errors == [
        f"公示期为 {setup.notice.starts_on.isoformat()} 至 {setup.notice.ends_on.isoformat()}，"
        "现已不在公示期内，不接受异议"
    ]
    assert row_counts() == before


def test_a_flood_from_one_address_is_refused(monkeypatch, setup):
    for _i in range(5):
        file_objection(setup.notice, setup.entry_a.pk, client_ip="198.51.100.9")
    before = row_counts()
    with pytest.raises(services.ObjectionRateLimited) as exc:
        file_objection(setup.notice, setup.entry_a.pk, client_ip="198.51.100.9")
    assert exc.value.errors == ["同一网络地址一小时内最多提交 5 条异议，请稍后再试"]
    assert exc.value.status_code == 429
    assert row_counts() == before
    # Another address is not affected; an hour later the first may file again.
    file_objection(setup.notice, setup.entry_a.pk, client_ip="198.51.100.10")
    later = services.time.time() + services.OBJECTION_RATE_WINDOW + 1
    monkeypatch.setattr(services, "time", SimpleNamespace(time=lambda: later))
    file_objection(setup.notice, setup.entry_a.pk, client_ip="198.51.100.9")
    assert Objection.objects.count() == 7


def test_refused_attempts_do_not_count_against_the_limit(setup):
    for _i in range(6):
        with pytest.raises(InvalidInput):
            file_objection(setup.notice, setup.entry_a.pk, client_ip="198.51.100.9", content="")
    file_objection(setup.notice, setup.entry_a.pk, client_ip="198.51.100.9")
    assert Objection.objects.count() == 1


# -- decision --------------------------------------------------------------------------------


def test_uphold_revokes_the_record_and_tells_everyone(users, setup, mailoutbox, django_capture_on_commit_callbacks):
    objection = file_objection(setup.notice, setup.entry_a.pk)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.objection_decide(
            objection=objection, decision="uphold", reason="经核实，服务时长确有虚报。", actor=users["cast_staff"]
        )
    assert (decided.status, decided.decision_reason, decided.decided_by) == (
        ObjectionStatus.UPHELD,
        "经核实，服务时长确有虚报。",
        users["cast_staff"],
    )
    assert decided.decided_at is not None
    assert states(setup.a, setup.b) == ["rejected", "public_notice"]
    events = record_events(setup.a)
    assert [e.action for e in events][-3:] == ["objection_filed", "objection_upheld", "revoke"]
    assert (events[-2].data, events[-2].opinion, events[-2].actor_role) == (
        {"reference": objection.reference},
        "经核实，服务时长确有虚报。",
        "cast_staff",
    )
    assert (events[-1].from_state, events[-1].to_state, events[-1].opinion) == (
        "public_notice",
        "rejected",
        "经核实，服务时长确有虚报。",
    )
    decided_rows = Notification.objects.filter(message_key="objection_decided")
    assert sorted((n.recipient.username, n.channel) for n in decided_rows) == [
        ("applicant_csf_br1", "email"),
        ("applicant_csf_br1", "in_app"),
    ]
    to_objector = [m for m in mailoutbox if m.to == [OBJECTOR["email"]]]
    assert len(to_objector) == 1
    assert to_objector[0].subject == f"关于您提出的异议（受理编号 {objection.reference}）的处理结果"
    assert "处理结果：异议成立\n处理理由：经核实，服务时长确有虚报。" in to_objector[0].body
    assert f"对公示《2026年度拟立项项目公示》中“甲项目”提出的异议（受理编号 {objection.reference}）已处理完毕" in (
        to_objector[0].body
    )


def test_dismiss_leaves_the_record_on_notice(users, setup, mailoutbox, django_capture_on_commit_callbacks):
    objection = file_objection(setup.notice, setup.entry_b.pk)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_decide(
            objection=objection, decision="dismiss", reason="所反映问题与事实不符。", actor=users["cast_staff"]
        )
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED
    assert states(setup.b) == ["public_notice"]
    event = record_events(setup.b)[-1]
    assert (event.action, event.opinion, event.data) == (
        "objection_dismissed",
        "所反映问题与事实不符。",
        {"reference": objection.reference},
    )
    assert sorted(
        Notification.objects.filter(message_key="objection_decided").values_list("recipient__username", "channel")
    ) == [("applicant_gd_fish", "email"), ("applicant_gd_fish", "in_app")]
    to_objector = [m for m in mailoutbox if m.to == [OBJECTOR["email"]]]
    assert [m.subject for m in to_objector] == [f"关于您提出的异议（受理编号 {objection.reference}）的处理结果"]
    assert "处理结果：异议不成立\n处理理由：所反映问题与事实不符。" in to_objector[0].body


def test_no_mail_without_an_address_and_none_before_commit(
    users, setup, mailoutbox, django_capture_on_commit_callbacks
):
    silent = file_objection(setup.notice, setup.entry_b.pk, email="")
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_decide(objection=silent, decision="dismiss", reason="不成立", actor=users["cast_staff"])
    assert [m for m in mailoutbox if m.to == [OBJECTOR["email"]]] == []
    loud = file_objection(setup.notice, setup.entry_b.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.objection_decide(objection=loud, decision="dismiss", reason="不成立", actor=users["cast_staff"])
    assert [m for m in mailoutbox if m.to == [OBJECTOR["email"]]] == []
    assert len(callbacks) >= 1


def test_decide_refusals(users, setup):
    objection = file_objection(setup.notice, setup.entry_a.pk)
    before = row_counts()
    for username in ("content_cast", "auditor", "applicant_csf_br1", "reviewer_csf"):
        with pytest.raises(TransitionForbidden) as exc:
            services.objection_decide(objection=objection, decision="uphold", reason="理由", actor=users[username])
        assert exc.value.errors == ["只有中国科协工作人员可以处理异议"]
    with pytest.raises(InvalidInput) as exc:
        services.objection_decide(objection=objection, decision="maybe", reason="  ", actor=users["cast_staff"])
    assert exc.value.errors == [
        "处理结论必须是 uphold（异议成立）、partly（异议部分成立）或 dismiss（异议不成立）",
        "请填写处理理由",
    ]
    with pytest.raises(InvalidInput) as exc:
        services.objection_decide(
            objection=objection, decision="dismiss", reason="理" * 2001, actor=users["cast_staff"]
        )
    assert exc.value.errors == ["处理理由不得超过 2000 个字符"]
    assert row_counts() == before
    services.objection_decide(objection=objection, decision="dismiss", reason="不成立", actor=users["cast_staff"])
    before = row_counts()
    with pytest.raises(TransitionConflict) as exc:
        services.objection_decide(objection=objection, decision="uphold", reason="改判", actor=users["cast_staff"])
    assert exc.value.errors == [f"异议 {objection.reference} 已处理（异议不成立），不能重复处理"]
    assert row_counts() == before
    assert states(setup.a) == ["public_notice"]


def test_a_second_upheld_objection_does_not_revoke_twice(users, setup):
    first = file_objection(setup.notice, setup.entry_a.pk)
    second = file_objection(setup.notice, setup.entry_a.pk, name="李四")
    services.objection_decide(objection=first, decision="uphold", reason="属实", actor=users["cast_staff"])
    services.objection_decide(objection=second, decision="uphold", reason="同样属实", actor=users["cast_staff"])
    assert list(Objection.objects.values_list("status", flat=True)) == ["upheld", "upheld"]
    assert [e.action for e in record_events(setup.a)].count("revoke") == 1
    assert states(setup.a) == ["rejected"]


def test_uphold_is_undone_when_the_record_cannot_be_revoked(users, setup):
    end_period(setup.notice)
    services.notice_finish(notice=setup.notice, actor=users["cast_staff"])
    assert states(setup.a, setup.b) == ["approved", "approved"]
    # An objection left undecided on an issued record (made directly: test setup only).
    late = Objection.objects.create(
        notice=setup.notice,
        entry=setup.entry_a,
        reference="YY2026-LATE22",
        objector_name="赵六",
        identity="教师",
        unit="某校",
        phone="13900001111",
        content="迟到的异议内容，仅用于测试。",
    )
    before = row_counts()
    with pytest.raises(TransitionConflict) as exc:
        services.objection_decide(objection=late, decision="uphold", reason="属实", actor=users["cast_staff"])
    assert exc.value.errors == ["记录当前状态为“已立项”，无法执行“撤销（异议成立）”：可能已被他人处理，请刷新后重试"]
    assert row_counts() == before
    late.refresh_from_db()
    assert (late.status, late.decided_by) == (ObjectionStatus.FILED, None)
    assert states(setup.a) == ["approved"]

"""The notice pages: the public list, notice and objection form (no login), and the staff
pages — who may see and do what, and that nothing private reaches the public."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from notices.models import NoticeStatus, Objection, ObjectionEvidence, ObjectionStatus, PublicNotice
from tests.notices.helpers import (
    OBJECTOR,
    PDF_BYTES,
    bulletin,
    draft_notice,
    end_period,
    file_objection,
    published_notice,
    reviewed_notice,
    row_counts,
    states,
    upload,
)
from workflows.calendar import notice_end

MB = 1024 * 1024


@pytest.fixture
def world(users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    hidden = bulletin(users, orgs, open_round, title="待审核项目", org="GD-XW-CAST")
    notice = published_notice(users, open_round, [a, b], title="智惠行动拟立项项目公示")
    draft = draft_notice(users, open_round, [hidden], title="尚未审核的公示")
    entries = {e.record_id: e for e in notice.entries.all()}
    return SimpleNamespace(a=a, b=b, hidden=hidden, notice=notice, draft=draft, entry_a=entries[a.pk])


def form_values(entry_id, **overrides):
    return {"entry": str(entry_id), **OBJECTOR, **overrides}


def page(response) -> str:
    return response.content.decode()


# -- the public ------------------------------------------------------------------------------


def test_public_list_shows_published_and_closed_notices_only(client, users, orgs, open_round, world):
    c = bulletin(users, orgs, open_round, title="丙项目")
    reviewed_notice(users, open_round, [c], title="审核通过未发布的公示")
    closed = published_notice(
        users, open_round, [bulletin(users, orgs, open_round, title="丁项目")], title="已结束的公示"
    )
    end_period(closed)
    from notices.services import notice_finish

    notice_finish(notice=closed, actor=users["cast_staff"])
    response = client.get("/public/notices/")
    assert response.status_code == 200
    html = page(response)
    assert "智惠行动拟立项项目公示" in html
    assert "已结束的公示" in html
    assert "尚未审核的公示" not in html
    assert "审核通过未发布的公示" not in html


def test_unpublished_notices_do_not_exist_for_the_public(client, world):
    assert client.get(f"/public/notices/{world.draft.pk}/").status_code == 404
    assert (
        client.post(f"/public/notices/{world.draft.pk}/", form_values(world.draft.entries.get().pk)).status_code == 404
    )
    assert client.get("/public/notices/99999/").status_code == 404
    assert Objection.objects.count() == 0


def test_the_public_notice_shows_public_fields_only(client, world):
    file_objection(world.notice, world.entry_a.pk, files=[upload("证据.pdf", PDF_BYTES)])
    response = client.get(f"/public/notices/{world.notice.pk}/")
    assert response.status_code == 200
    html = page(response)
    for shown in ("智惠行动拟立项项目公示", "甲项目", "中国水产学会科普工作委员会", "乙项目", "广东省水产学会"):
        assert shown in html
    for private in (
        OBJECTOR["name"],
        OBJECTOR["identity"],
        OBJECTOR["phone"],
        OBJECTOR["email"],
        OBJECTOR["content"],
        "证据.pdf",
        "待审核项目",  # a record on an unpublished notice
        "面向基层开展科技志愿服务",  # the record's own text, never published
    ):
        assert private not in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    for field_id, label in [
        ("obj-entry", "异议对象（必填）"),
        ("obj-name", "姓名（必填）"),
        ("obj-identity", "职务或身份（选填，不公开）"),
        ("obj-unit", "工作单位（必填）"),
        ("obj-phone", "联系电话（必填，不公开）"),
        ("obj-email", "电子邮箱（选填，用于告知处理结果，不公开）"),
        ("obj-content", "异议内容（必填，10–2000 字）"),
        ("obj-evidence", "证明材料（选填，至多 5 个 PDF、JPG 或 PNG 文件，每个不超过 10 MB）"),
    ]:
        assert f'<label for="{field_id}">{label}</label>' in html
        assert f'id="{field_id}"' in html
    assert f'<option value="{world.entry_a.pk}">1. 甲项目</option>' in html


def test_the_form_files_an_objection_and_shows_the_reference_once(client, world):
    response = client.post(
        f"/public/notices/{world.notice.pk}/",
        {**form_values(world.entry_a.pk), "evidence": [upload("证据.pdf", PDF_BYTES)]},
    )
    assert (response.status_code, response["Location"]) == (302, f"/public/notices/{world.notice.pk}/objection-filed/")
    objection = Objection.objects.get()
    assert (objection.entry, objection.phone, objection.client_ip) == (world.entry_a, OBJECTOR["phone"], "127.0.0.1")
    assert ObjectionEvidence.objects.get().original_name == "证据.pdf"
    html = page(client.get(response["Location"]))
    assert f'<strong class="reference">{objection.reference}</strong>' in html
    assert "您对公示《智惠行动拟立项项目公示》提出的异议已收到。" in html
    again = client.get(response["Location"])
    assert (again.status_code, again["Location"]) == (302, f"/public/notices/{world.notice.pk}/")


def test_errors_rerender_the_form_with_every_message_and_the_typed_values(client, world):
    response = client.post(
        f"/public/notices/{world.notice.pk}/",
        form_values(world.entry_a.pk, name="", phone="电话号码", content="有问题"),
    )
    assert response.status_code == 400
    html = page(response)
    for message in (
        "请填写姓名",
        "联系电话只能包含数字、“+”和“-”，长度为 7 至 20 位",
        "异议内容不得少于 10 个字符",
    ):
        assert f'<li class="error">{message}</li>' in html
    assert f'value="{OBJECTOR["unit"]}"' in html
    assert f'value="{OBJECTOR["identity"]}"' in html
    assert 'value="电话号码"' in html
    assert ">有问题</textarea>" in html
    assert f'<option value="{world.entry_a.pk}" selected>1. 甲项目</option>' in html
    assert Objection.objects.count() == 0


def test_a_text_file_renamed_pdf_is_refused_on_the_page(client, world):
    before = row_counts()
    response = client.post(
        f"/public/notices/{world.notice.pk}/",
        {**form_values(world.entry_a.pk), "evidence": [upload("scan.pdf", b"plain text, not a PDF at all")]},
    )
    assert response.status_code == 400
    assert "证明材料：文件“scan.pdf”的内容不是 PDF、JPG、PNG 格式（按文件内容识别，与扩展名无关）" in page(response)
    assert "如需附证明材料，请重新选择文件。" in page(response)
    assert row_counts() == before


def test_an_oversized_file_is_refused_on_the_page(client, world):
    before = row_counts()
    big = upload("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * MB))
    response = client.post(f"/public/notices/{world.notice.pk}/", {**form_values(world.entry_a.pk), "evidence": [big]})
    assert response.status_code == 400
    assert "证明材料：文件“big.png”大小为 11.0 MB，超过上限 10.0 MB" in page(response)
    assert row_counts() == before


def test_a_flood_from_one_address_is_refused_on_the_page(client, world):
    url = f"/public/notices/{world.notice.pk}/"
    for _i in range(5):
        assert client.post(url, form_values(world.entry_a.pk)).status_code == 302
    response = client.post(url, form_values(world.entry_a.pk))
    assert response.status_code == 429
    assert "同一网络地址一小时内最多提交 5 条异议，请稍后再试" in page(response)
    assert Objection.objects.count() == 5


def test_the_form_needs_the_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/public/notices/{world.notice.pk}/", form_values(world.entry_a.pk))
    assert response.status_code == 403
    assert Objection.objects.count() == 0


def test_no_form_outside_the_period(client, world):
    end_period(world.notice)
    html = page(client.get(f"/public/notices/{world.notice.pk}/"))
    assert "当前不在公示期内，不接受异议。" in html
    assert 'id="obj-name"' not in html


# -- staff -----------------------------------------------------------------------------------


def staff_urls(world, objection, evidence):
    return {
        "get": [
            "/public/manage/notices/",
            f"/public/manage/notices/{world.notice.pk}/",
            f"/public/manage/objections/{objection.pk}/evidence/{evidence.pk}/",
        ],
        "post": [
            (
                "/public/manage/notices/",
                {"round": "1", "record_type": "testapp.bulletin", "record_ids": "1", "title": "x"},
            ),
            (f"/public/manage/notices/{world.draft.pk}/review/", {"verdict": "pass", "opinion": "同意"}),
            (f"/public/manage/notices/{world.draft.pk}/publish/", {}),
            (f"/public/manage/notices/{world.notice.pk}/finish/", {}),
            (f"/public/manage/objections/{objection.pk}/decide/", {"decision": "uphold", "reason": "属实"}),
        ],
    }


@pytest.fixture
def objection(world):
    return file_objection(world.notice, world.entry_a.pk, files=[upload("证据.pdf", PDF_BYTES)])


def test_anonymous_visitors_are_sent_to_login(client, world, objection):
    urls = staff_urls(world, objection, objection.evidence.get())
    before = row_counts()
    for url in urls["get"]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")
    for url, data in urls["post"]:
        assert client.post(url, data).status_code == 302
    assert row_counts() == before


@pytest.mark.parametrize("username", ["applicant_csf_br1", "reviewer_csf", "content_csf", "expert_1"])
def test_others_find_no_staff_pages(client, users, world, objection, username):
    client.force_login(users[username])
    urls = staff_urls(world, objection, objection.evidence.get())
    before = row_counts()
    for url in urls["get"]:
        assert client.get(url).status_code == 404
    for url, data in urls["post"]:
        assert client.post(url, data).status_code == 404
    assert row_counts() == before
    assert states(world.a) == ["public_notice"]


def test_the_auditor_reads_everything_and_changes_nothing(client, users, world, objection):
    client.force_login(users["auditor"])
    listing = page(client.get("/public/manage/notices/"))
    assert "智惠行动拟立项项目公示" in listing and "尚未审核的公示" in listing
    assert "新建公示" not in listing
    html = page(client.get(f"/public/manage/notices/{world.notice.pk}/"))
    assert objection.reference in html
    assert OBJECTOR["phone"] in html and OBJECTOR["identity"] in html
    for form in ("提交处理结论", "结束公示并办结", "提交审核结论"):
        assert form not in html
    assert (
        client.get(f"/public/manage/objections/{objection.pk}/evidence/{objection.evidence.get().pk}/").status_code
        == 200
    )
    before = row_counts()
    response = client.post(
        f"/public/manage/objections/{objection.pk}/decide/", {"decision": "uphold", "reason": "属实"}, follow=True
    )
    assert "只有中国科协工作人员可以处理异议" in page(response)
    response = client.post(
        f"/public/manage/notices/{world.draft.pk}/review/", {"verdict": "pass", "opinion": "同意"}, follow=True
    )
    assert "只有中国科协的内容审核员可以审核公示" in page(response)
    response = client.post(
        "/public/manage/notices/",
        {"round": "1", "record_type": "testapp.bulletin", "record_ids": str(world.hidden.pk), "title": "x"},
    )
    assert response.status_code == 403
    assert "只有中国科协工作人员可以创建公示" in page(response)
    assert row_counts() == before


def test_the_content_reviewer_of_cast_reviews_but_sees_no_objections(client, users, world, objection):
    client.force_login(users["content_cast"])
    html = page(client.get(f"/public/manage/notices/{world.notice.pk}/"))
    assert objection.reference not in html and OBJECTOR["phone"] not in html
    assert (
        client.get(f"/public/manage/objections/{objection.pk}/evidence/{objection.evidence.get().pk}/").status_code
        == 404
    )
    html = page(client.get(f"/public/manage/notices/{world.draft.pk}/"))
    assert '<label for="review-opinion">审核意见（必填）</label>' in html
    assert "1. 待审核项目（徐闻县科协）" in html  # the list text under review
    response = client.post(
        f"/public/manage/notices/{world.draft.pk}/review/", {"verdict": "pass", "opinion": ""}, follow=True
    )
    assert "请填写审核意见" in page(response)
    response = client.post(
        f"/public/manage/notices/{world.draft.pk}/review/", {"verdict": "pass", "opinion": "同意发布"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/public/manage/notices/{world.draft.pk}/"
    assert "审核结论已记录" in page(response)
    world.draft.refresh_from_db()
    assert world.draft.status == NoticeStatus.PASSED_REVIEW


def test_cast_staff_run_a_notice_through_the_pages(client, users, orgs, open_round):
    a = bulletin(users, orgs, open_round, title="甲项目")
    b = bulletin(users, orgs, open_round, title="乙项目", org="GD-FISH")
    client.force_login(users["cast_staff"])
    listing = page(client.get("/public/manage/notices/"))
    assert '<a class="button" href="/public/manage/notices/new/">新建公示</a>' in listing
    picker = page(client.get(f"/public/manage/notices/new/?record_type=testapp.bulletin&round={open_round.pk}"))
    for pk in (a.pk, b.pk):
        assert f'<input type="checkbox" id="rec-{pk}" name="records" value="{pk}" checked>' in picker
    assert f'value="关于{open_round.title}拟立项名单的公示"' in picker
    assert "可列入公示的记录（2 条）" in picker
    filtered = page(
        client.get(f"/public/manage/notices/new/?record_type=testapp.bulletin&round={open_round.pk}&q=广东省水产学会")
    )
    assert f'id="rec-{b.pk}"' in filtered and f'id="rec-{a.pk}"' not in filtered
    response = client.post(
        "/public/manage/notices/",
        {
            "picker": "1",
            "round": str(open_round.pk),
            "record_type": "testapp.bulletin",
            "records": [str(a.pk), str(b.pk)],
            "title": "页面创建的公示",
            "intro": "请监督。",
        },
    )
    notice = PublicNotice.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/public/manage/notices/{notice.pk}/")
    assert list(notice.entries.values_list("record_id", flat=True)) == [a.pk, b.pk]
    from notices.services import notice_review

    notice_review(notice=notice, verdict="pass", opinion="同意", actor=users["content_cast"])
    html = page(client.get(f"/public/manage/notices/{notice.pk}/"))
    assert "公示期为 5 个工作日，自公示开始之日起计算。" in html
    today = timezone.localdate()
    assert f"按当前日历，公示期将为 {today:%Y-%m-%d} 至 {notice_end(today, 5):%Y-%m-%d}（5 个工作日）。" in html
    response = client.post(f"/public/manage/notices/{notice.pk}/publish/", follow=True)
    assert "公示已发布" in page(response)
    assert states(a, b) == ["public_notice", "public_notice"]
    notice.refresh_from_db()
    objection = file_objection(notice, notice.entries.get(record_id=a.pk).pk)
    response = client.post(f"/public/manage/notices/{notice.pk}/finish/", follow=True)
    assert f"《甲项目》：公示期至 {notice.ends_on.isoformat()} 结束，尚未期满；该记录有 1 条异议尚未处理" in page(
        response
    )
    response = client.post(
        f"/public/manage/objections/{objection.pk}/decide/", {"decision": "uphold", "reason": ""}, follow=True
    )
    assert "请填写处理理由" in page(response)
    response = client.post(
        f"/public/manage/objections/{objection.pk}/decide/",
        {"decision": "uphold", "reason": "经核实属实"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/public/manage/notices/{notice.pk}/"
    assert f"异议 {objection.reference} 已处理" in page(response)
    assert states(a) == ["rejected"]
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    end_period(notice)
    response = client.post(f"/public/manage/notices/{notice.pk}/finish/", follow=True)
    assert "公示已结束，名单中的记录已办结" in page(response)
    assert states(a, b) == ["rejected", "approved"]


def test_the_create_form_reports_every_problem_and_keeps_the_values(client, users, world, open_round):
    client.force_login(users["cast_staff"])
    response = client.post(
        "/public/manage/notices/",
        {
            "round": str(open_round.pk),
            "record_type": "testapp.bulletin",
            "record_ids": f"{world.a.pk}, x",
            "title": "新公示",
        },
    )
    assert response.status_code == 400
    assert "记录编号“x”不是数字" in page(response)
    response = client.post(
        "/public/manage/notices/",
        {"round": str(open_round.pk), "record_type": "testapp.bulletin", "record_ids": f"{world.a.pk}", "title": ""},
    )
    html = page(response)
    assert response.status_code == 400
    assert "请填写公示标题" in html
    assert "《甲项目》：当前状态为“公示中”，只有“拟立项”的记录可以列入公示；已在公示“智惠行动拟立项项目公示”中" in html
    # The picker comes back with the round's candidates and the default title.
    assert "<h1>新建公示</h1>" in html and f'value="关于{open_round.title}拟立项名单的公示"' in html
    assert PublicNotice.objects.count() == 2
    response = client.post(
        "/public/manage/notices/",
        {
            "picker": "1",
            "round": str(open_round.pk),
            "record_type": "testapp.bulletin",
            "records": [],
            "title": "空名单",
        },
    )
    assert response.status_code == 400 and "请至少选择一条记录" in page(response)
    assert 'value="空名单"' in page(response)


def test_evidence_downloads_as_an_attachment_for_staff(client, users, world, objection):
    client.force_login(users["cast_staff"])
    evidence = objection.evidence.get()
    response = client.get(f"/public/manage/objections/{objection.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert re.search(r"attachment; filename\*=utf-8''%E8%AF%81%E6%8D%AE\.pdf", response["Content-Disposition"])
    assert client.get(f"/public/manage/objections/{objection.pk}/evidence/99999/").status_code == 404

"""Sensitive terms from the site: CAST staff add, change, switch off and on (services and
pages), the auditor reads, anyone else finds nothing; every change with its exact audit event;
every refusal listing every problem and writing nothing; the scanner sees each change at
once."""

from __future__ import annotations

import pytest

from administration.rules import services
from tests.administration.rules.conftest import OUTSIDERS, events_of, shape
from workflows.exceptions import InvalidInput, TransitionForbidden
from workflows.models import AuditEvent, SensitiveTerm
from workflows.scanner import current_scanner, invalidate_scanner, scan_fields

IP = "203.0.113.9"
TEXT = "本项目面向农村开展科普讲座，宣传健康养殖。"


def found(text: str = TEXT) -> list[tuple[str, str]]:
    return [(f["term"], f["severity"]) for f in scan_fields([("内容", text)])]


def create(users, **data) -> SensitiveTerm:
    return services.sensitive_term_create(actor=users["cast_staff"], data=data, client_ip=IP)


def counts() -> tuple[int, int]:
    return SensitiveTerm.objects.count(), AuditEvent.objects.count()


def page(response) -> str:
    return response.content.decode()


# -- services --------------------------------------------------------------------------------


def test_create_stores_the_term_and_its_event(users):
    term = create(users, term="健康养殖", category="ads", severity="notice", reason="2026 年广告类词语补充")
    assert (term.term, term.category, term.severity, term.active) == ("健康养殖", "ads", "notice", True)
    assert [shape(e) for e in events_of(term)] == [
        {
            "action": "created",
            "actor": "cast_staff",
            "actor_org": "CAST",
            "actor_role": "cast_staff",
            "reason": "2026 年广告类词语补充",
            "data": {
                "changes": {
                    "active": {"before": None, "after": True},
                    "category": {"before": None, "after": "ads"},
                    "exceptions": {"before": None, "after": []},
                    "severity": {"before": None, "after": "notice"},
                    "term": {"before": None, "after": "健康养殖"},
                }
            },
            "client_ip": IP,
        }
    ]


def test_create_fills_the_defaults(users):
    term = create(users, term="  科普讲座 ")
    assert (term.term, term.category, term.severity) == ("科普讲座", "general", "review")
    assert events_of(term)[0].opinion == ""


def test_create_lists_every_problem_and_writes_nothing(users):
    before = counts()
    with pytest.raises(InvalidInput) as exc:
        create(users, term="", category="x" * 51, severity="fatal", reason="r" * 2001, extra="?")
    assert exc.value.errors == [
        "未知的字段：extra",
        "请填写“词语”",
        "“类别”不得超过 50 个字符",
        "“严重程度”必须是 notice（提示）、review（需人工审核）或 block（须人工决定）",
        "“修改理由”不得超过 2000 个字符",
    ]
    with pytest.raises(InvalidInput) as exc:
        create(users, term="x" * 101)
    assert exc.value.errors == ["“词语”不得超过 100 个字符"]
    with pytest.raises(InvalidInput) as exc:
        create(users, term="，。 ！")
    assert exc.value.errors == ["词语“，。 ！”去除空格和标点后为空，无法匹配任何内容"]
    with pytest.raises(InvalidInput) as exc:
        create(users, term=["赌博"])
    assert exc.value.errors == ["“词语”必须是文本"]
    assert counts() == before


def test_create_refuses_a_word_stored_already_even_in_another_form(users):
    before = counts()
    with pytest.raises(InvalidInput) as exc:
        create(users, term="赌博")
    assert exc.value.errors == ["词语“赌博”已存在"]
    with pytest.raises(InvalidInput) as exc:
        create(users, term="赌 · 博")
    assert exc.value.errors == ["词语“赌 · 博”与已有词语“赌博”相同（扫描时不区分大小写、全角半角，并忽略空格和标点）"]
    SensitiveTerm.objects.filter(term="传销").update(active=False)
    with pytest.raises(InvalidInput) as exc:
        create(users, term="传销")
    assert exc.value.errors == ["词语“传销”已存在（已停用，可在列表中重新启用）"]
    assert counts() == before


def test_only_cast_staff_change_terms(users):
    term = SensitiveTerm.objects.get(term="赌博")
    before = counts()
    for username in ("auditor", "content_cast", "applicant_csf_br1", "expert_1"):
        actor = users[username]
        calls = [
            (services.sensitive_term_create, {"data": {"term": "新词"}}),
            (services.sensitive_term_change, {"term": term, "data": {"term": "新词", "reason": "改"}}),
            (services.sensitive_term_disable, {"term": term, "reason": "停"}),
            (services.sensitive_term_enable, {"term": term, "reason": "启"}),
            (services.sensitive_terms_import, {"data": {"file": b"x\n"}}),
        ]
        for service, kwargs in calls:
            with pytest.raises(TransitionForbidden) as exc:
                service(actor=actor, **kwargs)
            assert exc.value.errors == ["只有中国科协工作人员可以维护敏感词"]
    assert counts() == before


def test_change_records_what_changed_and_why(users):
    term = SensitiveTerm.objects.get(term="包治百病")
    changed = services.sensitive_term_change(
        term=term,
        actor=users["cast_staff"],
        data={"term": "包治百病", "category": "harmful", "severity": "block", "reason": "虚假宣传，改为禁止提交"},
        client_ip=IP,
    )
    assert (changed.term, changed.category, changed.severity) == ("包治百病", "harmful", "block")
    assert [shape(e) for e in events_of(term)] == [
        {
            "action": "changed",
            "actor": "cast_staff",
            "actor_org": "CAST",
            "actor_role": "cast_staff",
            "reason": "虚假宣传，改为禁止提交",
            "data": {"changes": {"severity": {"before": "review", "after": "block"}}},
            "client_ip": IP,
        }
    ]


def test_change_needs_a_reason_and_a_change(users):
    term = SensitiveTerm.objects.get(term="包治百病")
    before = counts()
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_change(
            term=term, actor=users["cast_staff"], data={"term": "赌博", "severity": "severe"}
        )
    assert exc.value.errors == [
        "词语“赌博”已存在",
        "“严重程度”必须是 notice（提示）、review（需人工审核）或 block（须人工决定）",
        "请填写“修改理由”",
    ]
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_change(
            term=term,
            actor=users["cast_staff"],
            data={"term": "包治百病", "category": "harmful", "severity": "review", "reason": "核对"},
        )
    assert exc.value.errors == ["没有需要保存的修改"]
    assert counts() == before


def test_disable_and_enable_with_their_events(users):
    term = SensitiveTerm.objects.get(term="伪科学")
    services.sensitive_term_disable(term=term, actor=users["cast_staff"], reason="误报过多", client_ip=IP)
    term.refresh_from_db()
    assert term.active is False
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_disable(term=term, actor=users["cast_staff"], reason="再停")
    assert exc.value.errors == ["词语“伪科学”已是停用状态"]
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_enable(term=term, actor=users["cast_staff"], reason="  ")
    assert exc.value.errors == ["请填写“修改理由”"]
    services.sensitive_term_enable(term=term, actor=users["cast_staff"], reason="恢复使用")
    with pytest.raises(InvalidInput) as exc:
        services.sensitive_term_enable(term=term, actor=users["cast_staff"], reason="再启")
    assert exc.value.errors == ["词语“伪科学”已是启用状态"]
    assert [(e.action, e.opinion, e.data) for e in events_of(term)] == [
        ("disabled", "误报过多", {"changes": {"active": {"before": True, "after": False}}}),
        ("enabled", "恢复使用", {"changes": {"active": {"before": False, "after": True}}}),
    ]


def test_the_scanner_sees_every_change_at_once(users, django_capture_on_commit_callbacks):
    assert found() == []
    with django_capture_on_commit_callbacks(execute=True):
        term = create(users, term="健康养殖", severity="notice")
    assert found() == [("健康养殖", "notice")]
    with django_capture_on_commit_callbacks(execute=True):
        services.sensitive_term_change(
            term=term, actor=users["cast_staff"], data={"term": "健康养殖", "severity": "block", "reason": "升级"}
        )
    assert found() == [("健康养殖", "block")]
    with django_capture_on_commit_callbacks(execute=True):
        services.sensitive_term_disable(term=term, actor=users["cast_staff"], reason="停用")
    assert found() == []
    with django_capture_on_commit_callbacks(execute=True):
        services.sensitive_term_enable(term=term, actor=users["cast_staff"], reason="启用")
    assert found() == [("健康养殖", "block")]


@pytest.mark.django_db
def test_invalidating_rebuilds_even_when_the_table_looks_the_same():
    SensitiveTerm.objects.create(term="甲词", severity="review")
    row = SensitiveTerm.objects.get(term="甲词")
    assert [f.term for f in current_scanner().scan("乙词出现")] == []
    # A change the table's aggregate key cannot see: same rows, same counts, same updated_at.
    SensitiveTerm.objects.filter(pk=row.pk).update(term="乙词", updated_at=row.updated_at)
    assert [f.term for f in current_scanner().scan("乙词出现")] == []
    invalidate_scanner()
    assert [f.term for f in current_scanner().scan("乙词出现")] == ["乙词"]


# -- pages -----------------------------------------------------------------------------------

PAGES = ("/manage/rules/terms/", "/manage/rules/terms/new/", "/manage/rules/terms/import/")


def test_who_sees_the_term_pages(as_user, users):
    term = SensitiveTerm.objects.get(term="赌博")
    edit = f"/manage/rules/terms/{term.pk}/"
    for url in (*PAGES, edit):
        response = as_user(None).get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")
        for username in OUTSIDERS:
            assert as_user(username).get(url).status_code == 404, (username, url)
        assert as_user("cast_staff").get(url).status_code == 200
    auditor = as_user("auditor")
    listing = page(auditor.get(PAGES[0]))
    assert '<th scope="row">赌博</th>' in listing and "添加敏感词" not in listing
    for url in (PAGES[1], PAGES[2], edit):
        assert auditor.get(url).status_code == 404
    before = counts()
    for url, data in (
        (PAGES[1], {"term": "新词"}),
        (edit, {"term": "新词", "reason": "改"}),
        (f"{edit}disable/", {"reason": "停"}),
        (f"{edit}enable/", {"reason": "启"}),
        (PAGES[2], {"reason": "导入"}),
    ):
        for username in (*OUTSIDERS, "auditor"):
            assert as_user(username).post(url, data).status_code == 404
        assert as_user(None).post(url, data).status_code == 302
    assert counts() == before


def test_the_list_searches_and_filters(as_user):
    staff = as_user("cast_staff")
    html = page(staff.get("/manage/rules/terms/"))
    assert "共 5 个词语。" in html
    assert [w for w in ("传销", "伪科学", "包治百病", "法轮功", "赌博") if f">{w}</a></th>" in html] == [
        "传销",
        "伪科学",
        "包治百病",
        "法轮功",
        "赌博",
    ]
    html = page(staff.get("/manage/rules/terms/?q=harm"))
    assert "共 2 个词语。" in html and ">包治百病</a>" in html and ">伪科学</a>" in html
    html = page(staff.get("/manage/rules/terms/?severity=block&q=赌"))
    assert "共 1 个词语。" in html and ">赌博</a>" in html
    SensitiveTerm.objects.filter(term="传销").update(active=False)
    html = page(staff.get("/manage/rules/terms/?active=0"))
    assert "共 1 个词语。" in html and '<span class="bad">已停用</span>' in html
    html = page(staff.get("/manage/rules/terms/?category=illegal&active=1"))
    assert "共 2 个词语。" in html


def test_staff_add_change_and_switch_terms_on_the_pages(as_user, users):
    staff = as_user("cast_staff")
    response = staff.post("/manage/rules/terms/new/", {"term": "", "category": "", "severity": "bogus", "reason": ""})
    assert response.status_code == 400
    html = page(response)
    assert "<li>请填写“词语”</li>" in html
    assert "<li>“严重程度”必须是 notice（提示）、review（需人工审核）或 block（须人工决定）</li>" in html
    response = staff.post(
        "/manage/rules/terms/new/",
        {"term": "健康养殖", "category": "ads", "severity": "notice", "reason": "补充"},
        REMOTE_ADDR=IP,
        follow=True,
    )
    assert "已添加敏感词“健康养殖”" in page(response)
    term = SensitiveTerm.objects.get(term="健康养殖")
    assert [(e.action, e.actor, e.client_ip) for e in events_of(term)] == [("created", users["cast_staff"], IP)]

    edit = f"/manage/rules/terms/{term.pk}/"
    assert 'value="健康养殖"' in page(staff.get(edit))
    response = staff.post(edit, {"term": "健康养殖", "category": "ads", "severity": "review", "reason": ""})
    assert (response.status_code, "<li>请填写“修改理由”</li>" in page(response)) == (400, True)
    response = staff.post(
        edit, {"term": "健康养殖", "category": "ads", "severity": "review", "reason": "提高级别"}, follow=True
    )
    assert "敏感词已修改" in page(response)
    response = staff.post(f"{edit}disable/", {"reason": ""})
    assert (response.status_code, '<li class="error">请填写“修改理由”</li>' in page(response)) == (400, True)
    response = staff.post(f"{edit}disable/", {"reason": "暂不使用"}, follow=True)
    assert "已停用敏感词“健康养殖”" in page(response)
    response = staff.post(f"{edit}enable/", {"reason": "恢复"}, follow=True)
    assert "已启用敏感词“健康养殖”" in page(response)
    assert [(e.action, e.opinion) for e in events_of(term)] == [
        ("created", "补充"),
        ("changed", "提高级别"),
        ("disabled", "暂不使用"),
        ("enabled", "恢复"),
    ]
    assert staff.get("/manage/rules/terms/999999/").status_code == 404

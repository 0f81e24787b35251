"""Units and accounts in a real browser: a recommending unit's reviewer invites an applicant of a
unit below theirs, the invitee sets a password from the e-mailed link (read from the outbox) and
signs in, then resets it by the e-mailed link; a unit registers itself and the reviewer approves
it; CAST staff, with the second factor required of their role, are made to enrol an
authenticator (the code computed from the device's key) and to verify at the next sign-in.

Screenshots of every page visited (``$E2E_ARTIFACTS/<test>/NN-<page>.png``), the pages with
forms again in English, and some at a phone's width (``…-phone.png``). English labels of these
pages are not translated yet (the owner adds the catalogue): they are reported as a warning,
not asserted.
"""

from __future__ import annotations

import re
import time
import warnings

import pytest

from accounts.models import Membership, User
from administration.models import Invitation, UnitRegistration
from notifications.models import Channel, Notification
from workflows.models import AuditEvent

try:
    from playwright.sync_api import expect

    from tests.e2e.actors import Actor, People
except ImportError:  # no playwright: the browser fixture skips every test (fails it under CI)
    pass

pytestmark = pytest.mark.e2e

INVITEE_EMAIL = "wang.li@example.com"
INVITEE = "wangli"
FIRST_PASSWORD = "Haiyang-Kepu-2026"
RESET_PASSWORD = "Kexie-Zhiyuan-2027"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def people(request, browser, live_server, shots, users):
    """The browser contexts of the test (the demo users and organizations seeded first)."""
    opened = People(browser, live_server.url, shots)
    opened.test = request.node.originalname
    yield opened
    report = getattr(request.node, "e2e_call_report", None)
    opened.close(failed=report is not None and report.failed)
    found = sum(len(items) for items in opened.findings.pages.values())
    if found:
        warnings.warn(
            f"{found} Chinese labels on the English pages of {opened.test} (translations pending)", stacklevel=1
        )


def sign_in(actor: Actor, username: str, password: str, next_url: str = "/") -> None:
    """The login form with a password of the test (Actor.login knows the demo one only)."""
    page = actor.page
    actor.who = username
    page.goto(f"/login/?next={next_url}")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def at_phone_width(actor: Actor, name: str) -> None:
    """A screenshot of the page as a phone shows it, then back to the desktop width."""
    actor.page.set_viewport_size(PHONE)
    actor.shots.take(actor.page, f"{name}-phone")
    actor.page.set_viewport_size({"width": 1280, "height": 900})


def mail_link(address: str, key: str) -> str:
    """The path of the site's link in the newest outbox e-mail of ``key`` to ``address``."""
    row = Notification.objects.filter(channel=Channel.EMAIL, address=address, message_key=key).latest("pk")
    found = re.search(r"https?://[^/\s]+(/\S*)", row.context["text"])
    assert found, row.context["text"]
    return found.group(1)


def totp_code(user: User, *, steps_ahead: int = 0) -> str:
    """The authenticator's code, computed from the device's key as the phone would."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def test_a_reviewer_invites_an_applicant_who_sets_a_password_signs_in_and_resets_it(people, users, orgs):
    people.findings.data.update([INVITEE_EMAIL, "王丽"])
    # -- the reviewer of 中国水产学会 invites an applicant to its branch ------------------------
    reviewer = people()
    reviewer.login("reviewer_csf", "/manage/people/")
    reviewer.shot("people-home-reviewer", english=True)
    page = reviewer.page
    page.get_by_role("link", name="邀请", exact=True).click()
    expect(page.get_by_role("heading", name="邀请", exact=True)).to_be_visible()
    reviewer.shot("invitations", english=True)
    at_phone_width(reviewer, "invitations")
    page.get_by_label("电子邮箱", exact=True).fill(INVITEE_EMAIL)
    page.get_by_label("姓名（选填）", exact=True).fill("王丽")
    page.get_by_label("单位", exact=True).select_option(str(orgs["CSF-BR1"].pk))
    expect(page.get_by_label("角色", exact=True)).to_have_value("applicant")
    reviewer.shot("invitation-filled")
    page.get_by_role("button", name="发送邀请", exact=True).click()
    reviewer.expect_message(f"邀请已发送至 {INVITEE_EMAIL}")
    expect(page.get_by_role("cell", name=INVITEE_EMAIL)).to_be_visible()
    reviewer.shot("invitation-sent")
    invitation = Invitation.objects.get(email=INVITEE_EMAIL)
    assert (invitation.organization.code, invitation.role) == ("CSF-BR1", "applicant")

    # -- the invitee follows the e-mailed link and sets a password ---------------------------
    invitee = people()
    ipage = invitee.page
    ipage.goto(mail_link(INVITEE_EMAIL, "invitation"))
    expect(ipage.get_by_text("邀请您以“申报人”身份加入“中国水产学会科普工作委员会”")).to_be_visible()
    invitee.shot("join", english=True)
    at_phone_width(invitee, "join")
    ipage.get_by_label("用户名", exact=True).fill(INVITEE)
    ipage.get_by_label("姓名", exact=True).fill("王丽")
    ipage.get_by_label("电话（选填）", exact=True).fill("13800000000")
    ipage.get_by_label("密码", exact=True).fill("12345678")
    ipage.get_by_label("确认密码", exact=True).fill("12345678")
    ipage.get_by_role("button", name="创建账号", exact=True).click()
    expect(ipage.get_by_role("alert")).to_contain_text("这个密码太常见了。")
    invitee.shot("join-refused")
    ipage.get_by_label("密码", exact=True).fill(FIRST_PASSWORD)
    ipage.get_by_label("确认密码", exact=True).fill(FIRST_PASSWORD)
    ipage.get_by_role("button", name="创建账号", exact=True).click()
    invitee.expect_message("账号已创建，请用新密码登录")
    invitee.shot("join-done")
    sign_in(invitee, INVITEE, FIRST_PASSWORD, "/applications/")
    expect(ipage).to_have_url(re.compile(r"/applications/$"))
    expect(ipage.locator(".who")).to_contain_text("申报人（中国水产学会科普工作委员会）")
    invitee.shot("invitee-signed-in")
    user = User.objects.get(username=INVITEE)
    assert list(Membership.objects.filter(user=user).values_list("organization__code", "role")) == [
        ("CSF-BR1", "applicant")
    ]
    assert list(
        AuditEvent.objects.filter(record_type="accounts.user", record_id=user.pk)
        .order_by("record_seq")
        .values_list("action", "actor__username")
    ) == [("invitation_accepted", INVITEE), ("role_granted", "reviewer_csf")]
    # The reviewer sees the new account, its role and its history.
    page.goto("/manage/people/users/")
    page.get_by_role("link", name=INVITEE, exact=True).click()
    expect(page.get_by_role("heading", name=f"王丽（{INVITEE}）", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="变更记录").get_by_role("cell", name="授予角色")).to_be_visible()
    reviewer.shot("account-detail", english=True)
    at_phone_width(reviewer, "account-detail")
    # The link worked once.
    again = people()
    again.page.goto(mail_link(INVITEE_EMAIL, "invitation"))
    expect(again.page.get_by_role("alert")).to_have_text("该邀请链接已使用过，请直接登录")
    again.shot("join-used")

    # -- she forgets the password and resets it by the e-mailed link --------------------------
    forgot = people()
    fpage = forgot.page
    fpage.goto("/login/")
    fpage.get_by_role("link", name="忘记密码？", exact=True).click()
    expect(fpage.get_by_role("heading", name="找回密码", exact=True)).to_be_visible()
    forgot.shot("password-reset", english=True)
    at_phone_width(forgot, "password-reset")
    fpage.get_by_label("电子邮箱", exact=True).fill(INVITEE_EMAIL)
    fpage.get_by_role("button", name="发送重设链接", exact=True).click()
    expect(fpage.get_by_role("heading", name="邮件已发送", exact=True)).to_be_visible()
    forgot.shot("password-reset-sent")
    fpage.goto(mail_link(INVITEE_EMAIL, "password_reset"))
    expect(fpage).to_have_url(re.compile(r"/set-password/$"))
    forgot.shot("password-reset-confirm", english=True)
    fpage.get_by_label("新密码", exact=True).fill(RESET_PASSWORD)
    fpage.get_by_label("确认新密码", exact=True).fill(RESET_PASSWORD)
    fpage.get_by_role("button", name="设置新密码", exact=True).click()
    expect(fpage.get_by_role("heading", name="密码已重设", exact=True)).to_be_visible()
    forgot.shot("password-reset-complete")
    fpage.get_by_role("link", name="用新密码登录", exact=True).click()
    sign_in(forgot, INVITEE, RESET_PASSWORD, "/applications/")
    expect(fpage).to_have_url(re.compile(r"/applications/$"))
    forgot.shot("signed-in-with-the-new-password")
    # The old password no longer works.
    stale = people()
    sign_in(stale, INVITEE, FIRST_PASSWORD, "/applications/")
    expect(stale.page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    assert list(
        AuditEvent.objects.filter(
            record_type="accounts.user", record_id=user.pk, action__startswith="password"
        ).values_list("action", flat=True)
    ) == ["password_reset"]


def test_a_unit_registers_and_the_reviewer_approves(people, users, orgs):
    people.findings.data.update(["湛江水产科普志愿队", "李明", "li.ming@example.com"])
    public = people()
    page = public.page
    page.goto("/login/")
    page.get_by_role("link", name="单位注册", exact=True).click()
    expect(page.get_by_role("heading", name="单位注册", exact=True)).to_be_visible()
    public.shot("register", english=True)
    at_phone_width(public, "register")
    page.get_by_label("上级单位", exact=True).select_option(str(orgs["CSF-BR1"].pk))
    page.get_by_label("单位名称", exact=True).fill("湛江水产科普志愿队")
    page.get_by_label("单位类型", exact=True).select_option("other")
    page.get_by_label("电子邮箱", exact=True).fill("li.ming@example.com")
    page.get_by_label("用户名", exact=True).fill("liming")
    page.get_by_label("姓名", exact=True).fill("李明")
    page.get_by_label("密码", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("确认密码", exact=True).fill(FIRST_PASSWORD)
    public.shot("register-filled")
    page.get_by_role("button", name="提交注册申请", exact=True).click()
    expect(page.get_by_role("heading", name="注册申请已提交", exact=True)).to_be_visible()
    public.shot("register-done")

    reviewer = people()
    reviewer.login("reviewer_csf", "/manage/people/registrations/")
    reviewer.shot("registrations", english=True)
    reviewer.page.get_by_role("link", name="湛江水产科普志愿队", exact=True).click()
    reviewer.shot("registration", english=True)
    reviewer.page.get_by_role("button", name="批准", exact=True).click()
    reviewer.expect_message("已批准：单位和账号已创建，并已通知申请人")
    reviewer.shot("registration-approved")
    registration = UnitRegistration.objects.get()
    assert registration.status == "approved" and registration.organization.recommending_unit.code == "CSF"

    sign_in(public, "liming", FIRST_PASSWORD, "/applications/")
    expect(page).to_have_url(re.compile(r"/applications/$"))
    expect(page.locator(".who")).to_contain_text("申报人（湛江水产科普志愿队）")
    public.shot("registrant-signed-in")


def test_cast_staff_are_made_to_enrol_totp_and_to_verify(people, users, settings):
    settings.OTP_REQUIRED_ROLES = ["cast_staff"]
    staff_user = users["cast_staff"]
    staff = people()
    page = staff.page
    sign_in(staff, "cast_staff", "zhihui-demo", "/manage/people/")
    # Sent to enrol first; nothing else opens.
    expect(page).to_have_url(re.compile(r"/second-factor/\?next=%2Fmanage%2Fpeople%2F$"))
    expect(page.get_by_role("img", name="二维码：用身份验证器扫描")).to_be_visible()
    staff.shot("otp-enrol", english=True)
    at_phone_width(staff, "otp-enrol")
    page.goto("/manage/people/units/")
    expect(page).to_have_url(re.compile(r"/second-factor/\?next="))
    page.get_by_label("6 位验证码", exact=True).fill(totp_code(staff_user))
    page.get_by_role("button", name="启用两步验证", exact=True).click()
    expect(page.get_by_role("heading", name="恢复码", exact=True)).to_be_visible()
    codes = page.locator("code.recovery-code").all_inner_texts()
    assert len(codes) == len(set(codes)) == 10
    staff.shot("otp-recovery-codes")
    at_phone_width(staff, "otp-recovery-codes")
    # On to the page last asked for.
    page.get_by_role("link", name="我已保存，继续", exact=True).click()
    expect(page).to_have_url(re.compile(r"/manage/people/units/$"))
    expect(page.get_by_role("heading", name="单位", exact=True)).to_be_visible()
    staff.shot("units-staff", english=True)
    at_phone_width(staff, "units-staff")
    page.get_by_role("link", name="徐闻县科协", exact=True).click()
    expect(page.get_by_role("heading", name="徐闻县科协", exact=True)).to_be_visible()
    staff.shot("unit-detail-staff", english=True)

    # -- the next sign-in: verify with the authenticator ---------------------------------------
    later = people()
    sign_in(later, "cast_staff", "zhihui-demo", "/manage/people/users/")
    expect(later.page).to_have_url(re.compile(r"/second-factor/verify/\?next=%2Fmanage%2Fpeople%2Fusers%2F$"))
    later.shot("otp-verify", english=True)
    at_phone_width(later, "otp-verify")
    later.page.get_by_label("验证码或恢复码", exact=True).fill(totp_code(staff_user, steps_ahead=1))
    later.page.get_by_role("button", name="验证", exact=True).click()
    expect(later.page).to_have_url(re.compile(r"/manage/people/users/$"))
    later.shot("users-after-verify", english=True)

    # -- and with a recovery code, once -------------------------------------------------------
    for attempt, expected in ((1, r"/manage/people/$"), (2, r"/second-factor/verify/")):
        other = people()
        sign_in(other, "cast_staff", "zhihui-demo", "/manage/people/")
        other.page.get_by_label("验证码或恢复码", exact=True).fill(codes[0])
        other.page.get_by_role("button", name="验证", exact=True).click()
        expect(other.page).to_have_url(re.compile(expected))
        if attempt == 2:
            expect(other.page.get_by_role("alert")).to_contain_text("验证码不正确或已使用")
            other.shot("otp-recovery-code-reused")
    assert list(
        AuditEvent.objects.filter(record_type="accounts.user", record_id=staff_user.pk).values_list("action", flat=True)
    ) == ["second_factor_added"]

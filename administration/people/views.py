"""Pages of units and accounts (``/manage/people/…``), the public invitation and registration
pages, the second-factor pages, and Django's password views with the audited forms.

The management pages answer 404 to anyone the people pages are not for (ids must not be
probed) and to objects out of the viewer's scope; the services refuse what the viewer may not
do, and their messages are shown on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import second_factor
from accounts.models import RECOMMENDING_TYPES, Membership, Organization, OrgType, Role, User
from common.http import client_ip, safe_next
from workflows.exceptions import WorkflowError

from ..audit import ACTION_LABELS
from ..models import InvitationStatus, RegistrationStatus
from . import forms, selectors, services

UNIT_CREATE_FIELDS = ("code", "name", "type", "parent", "pilot_county")
INVITATION_FIELDS = ("email", "display_name", "organization", "role")
ACCOUNT_FIELDS = ("username", "display_name", "phone", "password1", "password2")
REGISTRATION_FIELDS = ("parent", "unit_name", "unit_type", "email", "note", *ACCOUNT_FIELDS)
SESSION_CODES = "people_recovery_codes"
SESSION_CODES_NEXT = "people_recovery_codes_next"


def people_area(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and CAST staff, the auditor or a recommending unit's reviewer; else 404."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_use_people(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def posted(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The named fields of the form (a checkbox not ticked is "")."""
    return {name: request.POST.get(name, "") for name in names}


def events(subject: Any) -> list[Any]:
    found = list(selectors.history(subject).select_related("actor"))
    for event in found:
        event.label = ACTION_LABELS.get(event.action, event.action)
        event.changes = (event.data or {}).get("changes", {})
    return found


# -- home --------------------------------------------------------------------------------------


@require_GET
@people_area
def home(request: HttpRequest) -> HttpResponse:
    """Units and accounts: where to go, and what waits (registrations to decide)."""
    user = request.user
    context = {
        "is_staff": selectors.is_staff(user),
        "units": selectors.visible_units(user=user).count(),
        "accounts": selectors.visible_users(user=user).count(),
        "pending_registrations": selectors.registrations_for(user=user)
        .filter(status=RegistrationStatus.PENDING)
        .count(),
    }
    return render(request, "administration/people/home.html", context)


# -- units -------------------------------------------------------------------------------------


@require_GET
@people_area
def units(request: HttpRequest) -> HttpResponse:
    """The units the viewer sees, by code; search by code or name, filter by type and status."""
    user = request.user
    qs = selectors.visible_units(user=user).annotate(members=Count("memberships")).order_by("code")
    q = request.GET.get("q", "").strip()
    type_ = request.GET.get("type", "")
    status = request.GET.get("status", "")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if type_ in OrgType.values:
        qs = qs.filter(type=type_)
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=status == "active")
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "units": list(page_obj.object_list),
        "page_obj": page_obj,
        "filters": {"q": q, "type": type_, "status": status},
        "types": OrgType.choices,
        "may_create": selectors.is_staff(user) or bool(selectors.reviewer_units(user)),
        "is_staff": selectors.is_staff(user),
    }
    return render(request, "administration/people/units.html", context)


def _unit_form_context(request: HttpRequest, values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    user = request.user
    return {
        "values": values,
        "errors": errors,
        "parents": selectors.parent_choices(user=user).order_by("code"),
        "types": [(t, OrgType(t).label) for t in selectors.creatable_types(user)],
    }


@require_http_methods(["GET", "POST"])
@people_area
def unit_new(request: HttpRequest) -> HttpResponse:
    """A new unit: CAST staff anywhere; a reviewer under their unit."""
    if not (selectors.is_staff(request.user) or selectors.reviewer_units(request.user)):
        raise Http404
    if request.method == "GET":
        values = {"parent": request.GET.get("parent", "")}
        return render(request, "administration/people/unit_new.html", _unit_form_context(request, values, []))
    values = posted(request, UNIT_CREATE_FIELDS)
    try:
        unit = services.unit_create(actor=request.user, data=values, client_ip=client_ip(request))
    except WorkflowError as exc:
        context = _unit_form_context(request, values, exc.errors)
        return render(request, "administration/people/unit_new.html", context, status=exc.status_code)
    messages.success(request, _("单位已创建：%(name)s") % {"name": unit.name})
    return redirect("administration:people-unit", pk=unit.pk)


def _unit_or_404(request: HttpRequest, pk: int) -> Organization:
    unit = selectors.unit_for(pk, user=request.user)
    if unit is None:
        raise Http404
    return unit


def _unit_page(
    request: HttpRequest, unit: Organization, *, errors: list[str] = (), values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    user = request.user
    context = {
        "unit": unit,
        "errors": list(errors),
        "values": values
        or {
            "name": unit.name,
            "parent": str(unit.parent_id or ""),
            "pilot_county": unit.pilot_county,
            "legal_person": unit.legal_person,
            "channel": str(unit.channel_id or ""),
        },
        "legal_entity": unit.legal_entity(),
        "has_channel": unit.type not in RECOMMENDING_TYPES and unit.type != OrgType.CAST,
        "channels": Organization.objects.filter(is_active=True, type__in=list(RECOMMENDING_TYPES))
        .exclude(pk=unit.pk)
        .order_by("code"),
        "is_staff": selectors.is_staff(user),
        "may_edit": selectors.can_edit_unit(user, unit) and unit.is_active,
        "children": selectors.visible_units(user=user).filter(parent=unit).order_by("code"),
        "members": Membership.objects.filter(organization=unit)
        .select_related("user")
        .order_by("role", "user__username"),
        "parents": Organization.objects.filter(is_active=True).exclude(pk=unit.pk).order_by("code"),
        "may_create_under": unit.is_active and selectors.parent_choices(user=user).filter(pk=unit.pk).exists(),
        "events": events(unit),
    }
    return render(request, "administration/people/unit_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_area
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit: its fields, units under it, members and history; POST renames (reviewers and
    CAST staff), moves or flags it (CAST staff)."""
    unit = _unit_or_404(request, pk)
    if request.method == "GET":
        return _unit_page(request, unit)
    post = request.POST
    values: dict[str, Any] = {"name": post.get("name", ""), "reason": post.get("reason", "")}
    data: dict[str, Any] = dict(values)
    # Only what changed goes to the service: an unchanged parent is no move. A reviewer's form
    # has the name only; the pilot-county box is shown for a county CAST only.
    if data["name"].strip() == unit.name:
        data.pop("name")
    if selectors.is_staff(request.user):
        values["parent"] = post.get("parent", str(unit.parent_id or ""))
        if values["parent"] != str(unit.parent_id or ""):
            data["parent"] = values["parent"]
        values["pilot_county"] = post.get("pilot_county") == "on"
        if unit.type == OrgType.COUNTY_CAST and values["pilot_county"] != unit.pilot_county:
            data["pilot_county"] = values["pilot_county"]
        # The legal-person box counts only on a form that showed it (an unticked box is absent).
        values["legal_person"] = post.get("legal_person") == "on" if "legal_person_shown" in post else unit.legal_person
        if values["legal_person"] != unit.legal_person:
            data["legal_person"] = values["legal_person"]
        values["channel"] = post.get("channel", str(unit.channel_id or ""))
        if values["channel"] != str(unit.channel_id or ""):
            data["channel"] = values["channel"]
    try:
        unit = services.unit_change(actor=request.user, unit=unit, data=data, client_ip=client_ip(request))
    except WorkflowError as exc:
        return _unit_page(request, unit, errors=exc.errors, values=values, status=exc.status_code)
    messages.success(request, _("单位已保存"))
    return redirect("administration:people-unit", pk=unit.pk)


def _unit_state(request: HttpRequest, pk: int, service: Callable[..., Any], done: str) -> HttpResponse:
    unit = _unit_or_404(request, pk)
    try:
        service(actor=request.user, unit=unit, reason=request.POST.get("reason", ""), client_ip=client_ip(request))
    except WorkflowError as exc:
        return _unit_page(request, unit, errors=exc.errors, status=exc.status_code)
    messages.success(request, done)
    return redirect("administration:people-unit", pk=unit.pk)


@require_POST
@people_area
def unit_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _unit_state(request, pk, services.unit_deactivate, _("单位已停用"))


@require_POST
@people_area
def unit_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _unit_state(request, pk, services.unit_reactivate, _("单位已恢复"))


@require_http_methods(["GET", "POST"])
@people_area
def units_import(request: HttpRequest) -> HttpResponse:
    """CAST staff upload an organizations file (CSV or JSON), all or nothing."""
    if not selectors.is_staff(request.user):
        raise Http404
    if request.method == "GET":
        return render(request, "administration/people/units_import.html", {"errors": []})
    try:
        result = services.units_import(
            actor=request.user, upload=request.FILES.get("file"), client_ip=client_ip(request)
        )
    except WorkflowError as exc:
        return render(
            request, "administration/people/units_import.html", {"errors": exc.errors}, status=exc.status_code
        )
    messages.success(
        request,
        _("导入完成：新建 %(created)s 个单位，更新 %(updated)s 个，其中 %(changed)s 个有变化") % result,
    )
    return redirect("administration:people-units")


# -- accounts ----------------------------------------------------------------------------------


@require_GET
@people_area
def users(request: HttpRequest) -> HttpResponse:
    """The accounts the viewer sees; search by user name, name or e-mail; filter by role, unit
    code and status."""
    qs = selectors.visible_users(user=request.user).order_by("username")
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    unit = request.GET.get("unit", "").strip()
    status = request.GET.get("status", "")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q))
    if role in Role.values:
        qs = qs.filter(memberships__role=role)
    if unit:
        qs = qs.filter(memberships__organization__code__iexact=unit)
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=status == "active")
    qs = qs.distinct().prefetch_related("memberships__organization")
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "accounts": list(page_obj.object_list),
        "page_obj": page_obj,
        "filters": {"q": q, "role": role, "unit": unit, "status": status},
        "roles": Role.choices,
    }
    return render(request, "administration/people/users.html", context)


def _user_or_404(request: HttpRequest, pk: int) -> User:
    account = selectors.user_for(pk, user=request.user)
    if account is None:
        raise Http404
    return account


def _user_page(
    request: HttpRequest, account: User, *, errors: list[str] = (), values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    user = request.user
    memberships = list(account.memberships.select_related("organization").order_by("organization__code", "role"))
    for m in memberships:
        m.may_revoke = selectors.can_grant(user, m.organization, m.role)
    context = {
        "account": account,
        "errors": list(errors),
        "values": values or {},
        "memberships": memberships,
        "is_staff": selectors.is_staff(user),
        "may_grant": account.is_active and (selectors.is_staff(user) or bool(selectors.reviewer_units(user))),
        "grant_units": selectors.grantable_units(user=user).order_by("code"),
        "grant_roles": [(r, Role(r).label) for r in selectors.grantable_roles(user)],
        "may_manage": selectors.can_manage_account(user, account),
        "has_second_factor": second_factor.has_second_factor(account),
        "recovery_codes_left": second_factor.recovery_codes_left(account),
        "events": events(account),
    }
    return render(request, "administration/people/user_detail.html", context, status=status)


@require_GET
@people_area
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An account: its roles, status, second factor and history, with the forms to change them."""
    return _user_page(request, _user_or_404(request, pk))


def _user_write(
    request: HttpRequest, pk: int, names: tuple[str, ...], act: Callable[[User, dict[str, str]], Any], done: str
) -> HttpResponse:
    account = _user_or_404(request, pk)
    values = posted(request, names)
    try:
        act(account, values)
    except WorkflowError as exc:
        return _user_page(request, account, errors=exc.errors, values=values, status=exc.status_code)
    messages.success(request, done)
    return redirect("administration:people-user", pk=account.pk)


@require_POST
@people_area
def user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    def act(account: User, values: dict[str, str]) -> Any:
        return services.role_grant(actor=request.user, user=account, data=values, client_ip=client_ip(request))

    return _user_write(request, pk, ("organization", "role", "reason"), act, _("角色已授予"))


@require_POST
@people_area
def user_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    def act(account: User, values: dict[str, str]) -> Any:
        return services.role_revoke(actor=request.user, user=account, data=values, client_ip=client_ip(request))

    return _user_write(request, pk, ("membership", "reason"), act, _("角色已撤销"))


@require_POST
@people_area
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(account: User, values: dict[str, str]) -> Any:
        return services.account_deactivate(
            actor=request.user, user=account, reason=values["reason"], client_ip=client_ip(request)
        )

    return _user_write(request, pk, ("reason",), act, _("账号已停用"))


@require_POST
@people_area
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(account: User, values: dict[str, str]) -> Any:
        return services.account_reactivate(
            actor=request.user, user=account, reason=values["reason"], client_ip=client_ip(request)
        )

    return _user_write(request, pk, ("reason",), act, _("账号已恢复"))


@require_POST
@people_area
def user_second_factor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    def act(account: User, values: dict[str, str]) -> Any:
        return services.second_factor_remove(
            actor=request.user, user=account, reason=values["reason"], client_ip=client_ip(request)
        )

    return _user_write(request, pk, ("reason",), act, _("两步验证已停用，该账号下次登录时须重新启用"))


# -- invitations -------------------------------------------------------------------------------


def _invitations_page(
    request: HttpRequest, *, values: dict[str, str] | None = None, errors: list[str] = (), status: int = 200
) -> HttpResponse:
    user = request.user
    qs = selectors.invitations_for(user=user)
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "invitations": list(page_obj.object_list),
        "page_obj": page_obj,
        "values": values or {"organization": request.GET.get("organization", "")},
        "errors": list(errors),
        "may_invite": selectors.is_staff(user) or bool(selectors.reviewer_units(user)),
        "units": selectors.grantable_units(user=user).order_by("code"),
        "roles": [(r, Role(r).label) for r in selectors.grantable_roles(user)],
        "days": settings.INVITATION_DAYS,
        "statuses": dict(InvitationStatus.choices),
    }
    return render(request, "administration/people/invitations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_area
def invitations(request: HttpRequest) -> HttpResponse:
    """The invitations the viewer sees, and the form to invite someone by e-mail."""
    if request.method == "GET":
        return _invitations_page(request)
    values = posted(request, INVITATION_FIELDS)
    try:
        invitation = services.invitation_create(actor=request.user, data=values, client_ip=client_ip(request))
    except WorkflowError as exc:
        return _invitations_page(request, values=values, errors=exc.errors, status=exc.status_code)
    messages.success(request, _("邀请已发送至 %(email)s") % {"email": invitation.email})
    return redirect("administration:people-invitations")


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link (public): the invitee chooses a user name and sets a password."""
    invitation = services.invitation_by_token(token)
    if invitation is None:
        raise Http404
    problem = services.invitation_problem(invitation)
    if problem:
        return render(request, "administration/people/join.html", {"problem": problem}, status=410)
    values: dict[str, str] = {"display_name": invitation.display_name}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        values = posted(request, ACCOUNT_FIELDS)
        try:
            services.invitation_accept(token=token, data=values, client_ip=client_ip(request))
        except WorkflowError as exc:
            errors, status = exc.errors, exc.status_code
        else:
            messages.success(request, _("账号已创建，请用新密码登录"))
            return redirect("login")
    values.pop("password1", None)
    values.pop("password2", None)
    context = {"invitation": invitation, "values": values, "errors": errors}
    return render(request, "administration/people/join.html", context, status=status)


# -- registrations -----------------------------------------------------------------------------


def _register_context(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "parents": selectors.registration_parents(),
        "types": [(t, label) for t, label in OrgType.choices if t != OrgType.CAST],
    }


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """A unit registers itself (public): the unit under a chosen parent, and its first applicant."""
    if request.method == "GET":
        return render(request, "administration/people/register.html", _register_context({}, []))
    values = posted(request, REGISTRATION_FIELDS)
    try:
        services.registration_submit(data=values, client_ip=client_ip(request))
    except WorkflowError as exc:
        values.pop("password1", None)
        values.pop("password2", None)
        context = _register_context(values, exc.errors)
        return render(request, "administration/people/register.html", context, status=exc.status_code)
    return redirect("administration:people-register-done")


@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "administration/people/register_done.html")


@require_GET
@people_area
def registrations(request: HttpRequest) -> HttpResponse:
    """The registrations the viewer decides (or, the auditor, reads); pending first."""
    status = request.GET.get("status", RegistrationStatus.PENDING)
    qs = selectors.registrations_for(user=request.user)
    if status in RegistrationStatus.values:
        qs = qs.filter(status=status)
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "registrations": list(page_obj.object_list),
        "page_obj": page_obj,
        "status": status,
        "statuses": RegistrationStatus.choices,
    }
    return render(request, "administration/people/registrations.html", context)


def _registration_page(
    request: HttpRequest, pk: int, *, errors: list[str] = (), status: int = 200, reason: str = ""
) -> HttpResponse:
    registration = selectors.registration_for(pk, user=request.user)
    if registration is None:
        raise Http404
    context = {
        "registration": registration,
        "errors": list(errors),
        "reason": reason,
        "may_decide": registration.status == RegistrationStatus.PENDING and not _reads_only(request.user),
        "deciders": selectors.deciders_of(registration),
        "events": events(registration),
    }
    return render(request, "administration/people/registration_detail.html", context, status=status)


def _reads_only(user: Any) -> bool:
    """Reads people but decides nothing (the auditor)."""
    return not selectors.is_staff(user) and not selectors.reviewer_units(user)


@require_GET
@people_area
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _registration_page(request, pk)


@require_POST
@people_area
def registration_approve(request: HttpRequest, pk: int) -> HttpResponse:
    registration = selectors.registration_for(pk, user=request.user)
    if registration is None:
        raise Http404
    try:
        services.registration_approve(actor=request.user, registration=registration, client_ip=client_ip(request))
    except WorkflowError as exc:
        return _registration_page(request, pk, errors=exc.errors, status=exc.status_code)
    messages.success(request, _("已批准：单位和账号已创建，并已通知申请人"))
    return redirect("administration:people-registration", pk=pk)


@require_POST
@people_area
def registration_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    registration = selectors.registration_for(pk, user=request.user)
    if registration is None:
        raise Http404
    reason = request.POST.get("reason", "")
    try:
        services.registration_refuse(
            actor=request.user, registration=registration, reason=reason, client_ip=client_ip(request)
        )
    except WorkflowError as exc:
        return _registration_page(request, pk, errors=exc.errors, status=exc.status_code, reason=reason)
    messages.success(request, _("已拒绝，并已将理由通知申请人"))
    return redirect("administration:people-registration", pk=pk)


# -- the second factor (/second-factor/…) -------------------------------------------------------


def _qr_svg(url: str) -> str:
    """The otpauth:// URL as an inline SVG QR code (no image request, no inline style)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    label = _("二维码：用身份验证器扫描")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="qr" ', 1)


@require_http_methods(["GET", "POST"])
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code; then
    the recovery codes are shown once. With one confirmed already: its status (or, not yet
    verified in this session, the verify page)."""
    from base64 import b32encode

    user = request.user
    next_url = safe_next(request, reverse("home"))
    if second_factor.has_second_factor(user):
        if not user.is_verified():
            return redirect(f"{reverse('otp-verify')}?{urlencode({'next': next_url})}")
        context = {"enabled": True, "recovery_codes_left": second_factor.recovery_codes_left(user)}
        return render(request, "accounts/otp_enrol.html", context)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            device, codes = services.second_factor_confirm(
                user=user, code=request.POST.get("code", ""), client_ip=client_ip(request)
            )
        except WorkflowError as exc:
            errors, status = exc.errors, exc.status_code
        else:
            django_otp.login(request, device)
            request.session[SESSION_CODES] = codes
            request.session[SESSION_CODES_NEXT] = next_url
            return redirect("otp-codes")
    device = services.second_factor_begin(user=user)
    key = b32encode(device.bin_key).decode()
    context = {
        "enabled": False,
        "qr": _qr_svg(device.config_url),
        "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        "errors": errors,
        "next": next_url,
        "required": second_factor.second_factor_required(user),
    }
    return render(request, "accounts/otp_enrol.html", context, status=status)


@require_GET
@login_required
def otp_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes, once: they leave the session as they are shown."""
    codes = request.session.pop(SESSION_CODES, None)
    next_url = request.session.pop(SESSION_CODES_NEXT, reverse("home"))
    if not codes:
        return redirect("otp-enrol")
    return render(request, "accounts/otp_codes.html", {"codes": codes, "next": next_url})


@require_http_methods(["GET", "POST"])
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Sign-in's second step: a code of the authenticator, or a recovery code (used up)."""
    user = request.user
    next_url = safe_next(request, reverse("home"))
    if not second_factor.has_second_factor(user):
        return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': next_url})}")
    if user.is_verified():
        return redirect(next_url)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        problems = forms.CodeInput({"code": request.POST.get("code", "")}).problems()
        device = None if problems else second_factor.verify(user, request.POST.get("code", ""))
        if device is not None:
            django_otp.login(request, device)
            return redirect(next_url)
        errors = problems or [_("验证码不正确或已使用；多次输错后须稍候再试")]
        status = 400
    return render(request, "accounts/otp_verify.html", {"errors": errors, "next": next_url}, status=status)


# -- Django's password views, saving through the audited services ------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = forms.AuditedPasswordChangeForm
    template_name = "registration/password_change_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "client_ip": client_ip(self.request)}


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.OutboxPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.AuditedSetPasswordForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "client_ip": client_ip(self.request)}

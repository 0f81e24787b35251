"""Every write of units and accounts run from the site: the organization tree, invitations,
units registering themselves, roles, deactivation, passwords and the second factor.

Each public function takes keyword-only arguments and an explicit actor (or is the user's own
act), validates its input with one form of ``forms`` (every problem at once), locks the row of
its subject inside its transaction, and appends the subject's audit event
(``administration.audit.record_change``): no role is granted, no unit or account changed,
without one. E-mails go through the notifications outbox, written in the same transaction and
delivered after commit (retried while the mail server is down).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts import permissions as perms
from accounts.models import Membership, Organization, OrgType, Role, User
from accounts.second_factor import RECOVERY_CODE_COUNT, normalize
from accounts.services import OrganizationImportError, organizations_import, recompute_recommending_units
from administration.audit import record_change, snapshot
from notifications.services import outbox_address, outbox_write
from workflows.exceptions import InvalidInput, TransitionConflict, TransitionForbidden
from workflows.locks import lock_record, lock_records, retry_on_contention

from ..models import Invitation, RegistrationStatus, UnitRegistration
from . import selectors
from .forms import (
    CodeInput,
    InvitationAcceptInput,
    InvitationInput,
    ReasonInput,
    RegistrationInput,
    RoleGrantInput,
    RoleRevokeInput,
    UnitChangeInput,
    UnitInput,
    UnitsUploadInput,
)

UNIT_FIELDS = (
    "code",
    "name",
    "type",
    "parent",
    "pilot_county",
    "legal_person",
    "channel",
    "recommending_unit",
    "is_active",
)
ACCOUNT_FIELDS = ("username", "display_name", "email", "phone", "is_active")
INVITATION_FIELDS = ("email", "display_name", "organization", "role", "expires_at")
REGISTRATION_FIELDS = ("parent", "unit_name", "unit_type", "username", "display_name", "email", "phone", "status")

# At most this many registrations from one client address within the window (seconds).
REGISTRATION_RATE_LIMIT = 5
REGISTRATION_RATE_WINDOW = 3600


class RateLimited(InvalidInput):
    """Too many registrations from one address (429)."""

    status_code = 429


class LinkNotFound(InvalidInput):
    """An invitation link that never existed (404)."""

    status_code = 404


def _check(form: Any) -> dict[str, Any]:
    problems = form.problems()
    if problems:
        raise InvalidInput(problems)
    return form.cleaned_data


def roles_of(user: Any) -> list[str]:
    """The account's roles as the audit trail shows them: "CODE:role", sorted."""
    return sorted(
        f"{code}:{role}"
        for code, role in Membership.objects.filter(user_id=user.pk).values_list("organization__code", "role")
    )


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _mail(*, address: str, message_key: str, template: str, context: dict[str, Any], dedup_key: str) -> None:
    """An e-mail to ``address`` through the outbox, written in the site's first language (the
    reader has no account, or none whose language is known yet)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(template, context)
    subject, _blank, body = text.partition("\n")
    outbox_address(
        address=address, message_key=message_key, subject=subject.strip(), text=body.strip() + "\n", dedup_key=dedup_key
    )


# -- units -------------------------------------------------------------------------------------


@retry_on_contention
def unit_create(*, actor: Any, data: dict[str, Any], client_ip: str | None = None) -> Organization:
    """CAST staff create a unit anywhere; a recommending unit's reviewer under their unit or one
    it recommends, of a type that is not itself a recommending unit.

    Side effects, in order:
    1. refuses (403) anyone else;
    2. validates with ``UnitInput`` (code free and well-formed, name, type, parent in the
       actor's reach and active, pilot county only of a county CAST) and writes nothing if any
       problem;
    3. locks the parent and checks it is still active;
    4. creates the unit (a branch: not a legal person) with its recommending unit
       (``Organization.compute_recommending_unit``: itself, a provincial society's provincial
       CAST, else its parent's);
    5. locks the new unit's row and appends its "created" event.
    """
    if not (selectors.is_staff(actor) or selectors.reviewer_units(actor)):
        raise TransitionForbidden(_("您没有创建单位的权限"))
    clean = _check(UnitInput(data, actor=actor))
    with transaction.atomic():
        parent = lock_record(Organization, clean["parent"].pk)
        if not parent.is_active:
            raise InvalidInput(_("上级单位已停用"))
        unit = Organization.objects.create(
            code=clean["code"],
            name=clean["name"],
            type=clean["type"],
            parent=parent,
            pilot_county=clean["pilot_county"] or False,
        )
        unit.recommending_unit = unit.compute_recommending_unit()
        unit.save(update_fields=["recommending_unit"])
        unit = lock_record(Organization, unit.pk)
        record_change(unit, action="created", actor=actor, after=snapshot(unit, UNIT_FIELDS), client_ip=client_ip)
    return unit


def _subtree_ids(root_id: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Organization.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [root_id]
    while todo:
        pk = todo.pop()
        if pk in found:
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


@retry_on_contention
def unit_change(*, actor: Any, unit: Organization, data: dict[str, Any], client_ip: str | None = None) -> Organization:
    """A unit renamed (CAST staff; a reviewer for the units below theirs), moved under another
    parent, flagged a pilot county, a legal person or not, or given its recommending channel
    (CAST staff), with an optional reason.

    Side effects, in order:
    1. refuses (403) an actor who may not change it, or a reviewer changing more than the name;
    2. validates with ``UnitChangeInput`` (only the keys given; no move under itself or its
       subtree; pilot only for a county CAST) and writes nothing if any problem;
    3. locks the unit and its subtree, in id order; refuses (409) an inactive unit;
    4. saves the changed fields; after a move or a new channel, recomputes every unit's
       recommending unit (``accounts.services.recompute_recommending_units``; records keep the
       recommending unit they were created with);
    5. appends the unit's "changed" event (fields before and after, the reason), and a
       "changed" event to each unit of the subtree whose recommending unit moved with it.
    """
    if not selectors.can_edit_unit(actor, unit):
        raise TransitionForbidden(_("您没有修改该单位的权限"))
    if not selectors.is_staff(actor) and set(data) - {"name", "reason"}:
        raise TransitionForbidden(_("只有中国科协工作人员可以调整上级单位、试点县、法人或推荐渠道"))
    clean = _check(UnitChangeInput(data, unit=unit))
    reason = clean.pop("reason", "") or ""
    if not clean:
        raise InvalidInput(_("没有需要保存的修改"))
    with transaction.atomic():
        locked = lock_records(Organization, _subtree_ids(unit.pk))
        current = locked[unit.pk]
        if not current.is_active:
            raise TransitionConflict(_("单位已停用，请先恢复"))
        before = {pk: snapshot(org, UNIT_FIELDS) for pk, org in locked.items()}
        for name, value in clean.items():
            setattr(current, name, value)
        if before[unit.pk] == snapshot(current, UNIT_FIELDS):
            raise InvalidInput(_("没有需要保存的修改"))
        current.save(update_fields=list(clean))
        if "parent" in clean or "channel" in clean:
            recompute_recommending_units()
        after = {
            org.pk: snapshot(org, UNIT_FIELDS)
            for org in Organization.objects.filter(pk__in=list(locked)).order_by("pk")
        }
        current = Organization.objects.get(pk=unit.pk)
        record_change(
            current,
            action="changed",
            actor=actor,
            before=before[unit.pk],
            after=after[unit.pk],
            reason=reason,
            client_ip=client_ip,
        )
        for pk, org in locked.items():
            if pk != unit.pk and before[pk] != after[pk]:
                record_change(
                    org,
                    action="changed",
                    actor=actor,
                    before=before[pk],
                    after=after[pk],
                    reason=reason,
                    extra={"moved_with": unit.pk},
                    client_ip=client_ip,
                )
    return current


@retry_on_contention
def unit_deactivate(*, actor: Any, unit: Organization, reason: Any, client_ip: str | None = None) -> Organization:
    """CAST staff deactivate a unit: kept with its records and history, no longer offered as a
    parent, for invitations, roles or registrations.

    Side effects, in order:
    1. refuses (403) anyone but CAST staff;
    2. validates the reason (``ReasonInput``);
    3. locks the unit; refuses (409) when already inactive, and (400) CAST itself, a unit with
       active units under it or with people holding roles in it (each listed);
    4. marks it inactive and appends its "deactivated" event with the reason.
    """
    if not selectors.is_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以停用单位"))
    clean = _check(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = lock_record(Organization, unit.pk)
        if not locked.is_active:
            raise TransitionConflict(_("该单位已停用"))
        problems = []
        if locked.type == OrgType.CAST:
            problems.append(_("中国科协是根组织，不能停用"))
        children = list(locked.children.filter(is_active=True).order_by("code").values_list("name", flat=True))
        if children:
            problems.append(
                _("该单位下还有 %(n)s 个在用单位：%(names)s") % {"n": len(children), "names": "、".join(children)}
            )
        members = Membership.objects.filter(organization=locked).count()
        if members:
            problems.append(_("该单位还有 %(n)s 个成员角色，请先撤销") % {"n": members})
        if problems:
            raise InvalidInput(problems)
        before = snapshot(locked, UNIT_FIELDS)
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        record_change(
            locked,
            action="deactivated",
            actor=actor,
            before=before,
            after=snapshot(locked, UNIT_FIELDS),
            reason=clean["reason"],
            client_ip=client_ip,
        )
    return locked


@retry_on_contention
def unit_reactivate(*, actor: Any, unit: Organization, reason: Any, client_ip: str | None = None) -> Organization:
    """CAST staff put a deactivated unit back in use.

    Side effects, in order: refuses (403) anyone but CAST staff; validates the reason; locks the
    unit, refuses (409) an active one and (400) one whose parent is inactive; marks it active
    and appends its "reactivated" event with the reason.
    """
    if not selectors.is_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以恢复单位"))
    clean = _check(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = lock_record(Organization, unit.pk)
        if locked.is_active:
            raise TransitionConflict(_("该单位在用，无需恢复"))
        if locked.parent is not None and not locked.parent.is_active:
            raise InvalidInput(_("上级单位“%(name)s”已停用，请先恢复上级单位") % {"name": locked.parent.name})
        before = snapshot(locked, UNIT_FIELDS)
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        record_change(
            locked,
            action="reactivated",
            actor=actor,
            before=before,
            after=snapshot(locked, UNIT_FIELDS),
            reason=clean["reason"],
            client_ip=client_ip,
        )
    return locked


@retry_on_contention
def units_import(*, actor: Any, upload: Any, client_ip: str | None = None) -> dict[str, int]:
    """CAST staff upload an organizations file (the columns of ``load_organizations``), all or
    nothing.

    Side effects, in order:
    1. refuses (403) anyone but CAST staff;
    2. checks the file (CSV or JSON by name, at most 2 MB, not empty);
    3. locks every unit, in id order (an import may move any of them);
    4. runs ``accounts.services.organizations_import`` (every row checked, each problem named
       by line and field, nothing written if any; recommending units recomputed);
    5. appends an "imported" event to each unit created or changed (fields before and after,
       the file's name).
    Returns the counts: created, updated (rows of the file), changed (units whose fields changed).
    """
    if not selectors.is_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以导入单位"))
    form = UnitsUploadInput({}, upload=upload)
    _check(form)
    name = upload.name
    with transaction.atomic():
        locked = lock_records(Organization, Organization.objects.values_list("pk", flat=True))
        before = {pk: snapshot(org, UNIT_FIELDS) for pk, org in locked.items()}
        try:
            result = organizations_import(content=form.content, filename=name, actor=actor)
        except OrganizationImportError as exc:
            raise InvalidInput(exc.errors) from exc
        changed = 0
        for org in Organization.objects.order_by("pk"):
            after = snapshot(org, UNIT_FIELDS)
            if before.get(org.pk) == after:
                continue
            changed += 1
            record_change(
                org,
                action="imported",
                actor=actor,
                before=before.get(org.pk, {}),
                after=after,
                extra={"file": name},
                client_ip=client_ip,
            )
    return {**result, "changed": changed}


# -- invitations -------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("organization", "invited_by").filter(token_hash=token_digest(token)).first()
    )


@retry_on_contention
def invitation_create(*, actor: Any, data: dict[str, Any], client_ip: str | None = None) -> Invitation:
    """CAST staff invite anyone to any role in any unit; a recommending unit's reviewer invites
    applicants to the units below theirs.

    Side effects, in order:
    1. refuses (403) anyone else;
    2. validates with ``InvitationInput`` (an address without an account, a unit in reach and
       active, a role the actor may grant, CAST-only roles in CAST) and writes nothing if any
       problem;
    3. stores the invitation with the SHA-256 of a random token, valid ``INVITATION_DAYS`` days;
    4. locks it and appends its "invited" event;
    5. writes the e-mail with the single-use link to the outbox (delivered after commit).
    Returns the invitation (``.token`` holds the link's token, for this call only).
    """
    if not (selectors.is_staff(actor) or selectors.reviewer_units(actor)):
        raise TransitionForbidden(_("您没有邀请成员的权限"))
    clean = _check(InvitationInput(data, actor=actor))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=clean["email"],
            display_name=clean["display_name"],
            organization=clean["organization"],
            role=clean["role"],
            token_hash=token_digest(token),
            invited_by=actor,
            expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS),
        )
        invitation = lock_record(Invitation, invitation.pk, related=("organization",))
        record_change(
            invitation,
            action="invited",
            actor=actor,
            after=snapshot(invitation, INVITATION_FIELDS),
            client_ip=client_ip,
        )
        _mail(
            address=invitation.email,
            message_key="invitation",
            template="administration/people/email/invitation.txt",
            context={
                "invitation": invitation,
                "inviter": perms.user_label(actor),
                "role": Role(invitation.role).label,
                "link": _site_url(reverse("administration:people-join", kwargs={"token": token})),
                "expires_at": timezone.localtime(invitation.expires_at),
            },
            dedup_key=f"invitation:{invitation.pk}",
        )
    invitation.token = token  # type: ignore[attr-defined]
    return invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why the link no longer works, or None."""
    if invitation.accepted_at is not None:
        return _("该邀请链接已使用过，请直接登录")
    if invitation.expires_at <= timezone.now():
        return _("该邀请链接已过期，请联系邀请人重新邀请")
    if not invitation.organization.is_active:
        return _("邀请加入的单位已停用")
    return None


@retry_on_contention
def invitation_accept(*, token: str, data: dict[str, Any], client_ip: str | None = None) -> User:
    """The invitee follows the link and creates their account.

    Side effects, in order:
    1. refuses (404) a token no invitation has, and (409) one already used, expired, or to a
       unit deactivated since;
    2. validates with ``InvitationAcceptInput`` (a free username, name, the password twice and
       Django's password validators) and writes nothing if any problem;
    3. locks the invitation and checks it again (two tabs cannot both use it);
    4. creates the account (the invitation's e-mail address) and the membership it names, and
       marks the invitation accepted;
    5. appends the invitation's "invitation_accepted" event, then the account's
       "invitation_accepted" and "role_granted" events.
    """
    invitation = invitation_by_token(token)
    if invitation is None:
        raise LinkNotFound(_("邀请链接无效"))
    problem = invitation_problem(invitation)
    if problem:
        raise TransitionConflict(problem)
    clean = _check(InvitationAcceptInput(data, email=invitation.email))
    with transaction.atomic():
        locked = lock_record(Invitation, invitation.pk, related=("organization",))
        problem = invitation_problem(locked)
        if problem:
            raise TransitionConflict(problem)
        user = User(
            username=clean["username"], display_name=clean["display_name"], phone=clean["phone"], email=locked.email
        )
        user.set_password(clean["password1"])
        user.save()
        user = lock_record(User, user.pk)
        Membership.objects.create(user=user, organization=locked.organization, role=locked.role)
        before = {"accepted_at": None, "user": None}
        locked.accepted_at = timezone.now()
        locked.user = user
        locked.save(update_fields=["accepted_at", "user"])
        record_change(
            locked,
            action="invitation_accepted",
            actor=user,
            before=before,
            after=snapshot(locked, ("accepted_at", "user")),
            client_ip=client_ip,
        )
        record_change(
            user,
            action="invitation_accepted",
            actor=user,
            after=snapshot(user, ACCOUNT_FIELDS),
            extra={"invitation": locked.pk},
            client_ip=client_ip,
        )
        # The role is the inviter's grant: their event, as if granted now (the invitee's address
        # is on the acceptance events above).
        _role_event(
            user,
            actor=locked.invited_by,
            before=[],
            organization=locked.organization,
            role=locked.role,
            reason=_("接受邀请"),
            extra={"invitation": locked.pk},
        )
    return user


# -- registrations -----------------------------------------------------------------------------


def _rate_key(client_ip: str | None) -> str:
    return f"people:registrations:{client_ip or 'unknown'}"


def _recent(client_ip: str | None, now: float) -> list[float]:
    return [t for t in cache.get(_rate_key(client_ip)) or [] if t > now - REGISTRATION_RATE_WINDOW]


@retry_on_contention
def registration_submit(*, data: dict[str, Any], client_ip: str | None = None) -> UnitRegistration:
    """A unit asks to register itself under a parent, with its first applicant's account.

    Side effects, in order:
    1. refuses (429) an address that registered ``REGISTRATION_RATE_LIMIT`` times within the hour;
    2. validates with ``RegistrationInput`` (parent active, unit name and type, a free username,
       an address without an account, the password twice and the validators) and writes
       nothing if any problem;
    3. stores the request with the password's hash only;
    4. locks it and appends its "registered" event (no actor: nobody is signed in);
    5. tells those who decide it (the recommending unit's reviewers, or CAST staff) in the
       inbox and by e-mail (outbox);
    6. counts the request against the address.
    """
    now = time.time()
    recent = _recent(client_ip, now)
    if len(recent) >= REGISTRATION_RATE_LIMIT:
        raise RateLimited(
            _("同一网络地址一小时内最多提交 %(n)s 份注册申请，请稍后再试") % {"n": REGISTRATION_RATE_LIMIT}
        )
    clean = _check(RegistrationInput(data))
    with transaction.atomic():
        registration = UnitRegistration.objects.create(
            parent=clean["parent"],
            unit_name=clean["unit_name"],
            unit_type=clean["unit_type"],
            username=clean["username"],
            display_name=clean["display_name"],
            email=clean["email"],
            phone=clean["phone"],
            password_hash=make_password(clean["password1"]),
            note=clean["note"],
        )
        registration = lock_record(UnitRegistration, registration.pk, related=("parent",))
        record_change(
            registration,
            action="registered",
            actor=None,
            after=snapshot(registration, REGISTRATION_FIELDS),
            client_ip=client_ip,
        )
        deciders = selectors.deciders_of(registration)
        outbox_write(
            users=deciders,
            message_key="unit_registered",
            context={
                "title": registration.unit_name,
                "action_label": _("单位注册申请"),
                "url": _site_url(reverse("administration:people-registration", kwargs={"pk": registration.pk})),
            },
            dedup_base=f"registration:{registration.pk}:registered",
        )
    cache.set(_rate_key(client_ip), [*recent, now], REGISTRATION_RATE_WINDOW)
    return registration


def _decide_check(actor: Any, registration: UnitRegistration) -> None:
    if selectors.is_staff(actor):
        return
    if selectors.reviewer_units(actor) and selectors.registrations_for(user=actor).filter(pk=registration.pk).exists():
        return
    raise TransitionForbidden(_("您没有审核该注册申请的权限"))


def _new_code(parent: Organization, registration: UnitRegistration) -> str:
    suffix = f"-U{registration.pk}"
    code = parent.code[: 50 - len(suffix)] + suffix
    n = 1
    while Organization.objects.filter(code__iexact=code).exists():
        n += 1
        code = parent.code[: 50 - len(suffix) - 3] + f"{suffix}-{n}"
    return code


@retry_on_contention
def registration_approve(
    *, actor: Any, registration: UnitRegistration, client_ip: str | None = None
) -> UnitRegistration:
    """The recommending unit's reviewer (or CAST staff) approves a registration.

    Side effects, in order:
    1. refuses (403) anyone who does not decide it;
    2. locks the registration; refuses (409) one already decided;
    3. checks again that the parent is active and the username and address are still free
       (400, each problem listed);
    4. creates the unit (code: the parent's code and the request's number), the account
       (signing in with the password given at registration) and its applicant membership;
    5. appends the registration's "approved" event, the unit's "created" event, the account's
       "created" and "role_granted" events;
    6. e-mails the registrant (outbox) that they may sign in.
    """
    _decide_check(actor, registration)
    with transaction.atomic():
        locked = lock_record(UnitRegistration, registration.pk, related=("parent",))
        if locked.status != RegistrationStatus.PENDING:
            raise TransitionConflict(_("该注册申请已处理"))
        problems = []
        if not locked.parent.is_active:
            problems.append(_("上级单位“%(name)s”已停用") % {"name": locked.parent.name})
        if User.objects.filter(username__iexact=locked.username).exists():
            problems.append(_("用户名“%(username)s”已被使用") % {"username": locked.username})
        if User.objects.filter(email__iexact=locked.email).exists():
            problems.append(_("电子邮箱“%(email)s”已有账号") % {"email": locked.email})
        if problems:
            raise InvalidInput(problems)
        parent = lock_record(Organization, locked.parent_id)
        unit = Organization.objects.create(
            code=_new_code(parent, locked), name=locked.unit_name, type=locked.unit_type, parent=parent
        )
        unit.recommending_unit = unit.compute_recommending_unit()
        unit.save(update_fields=["recommending_unit"])
        unit = lock_record(Organization, unit.pk)
        user = User.objects.create(
            username=locked.username,
            display_name=locked.display_name,
            email=locked.email,
            phone=locked.phone,
            password=locked.password_hash,
        )
        user = lock_record(User, user.pk)
        Membership.objects.create(user=user, organization=unit, role=Role.APPLICANT)
        before = snapshot(locked, REGISTRATION_FIELDS)
        locked.status = RegistrationStatus.APPROVED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.organization = unit
        locked.user = user
        locked.save(update_fields=["status", "decided_at", "decided_by", "organization", "user"])
        record_change(
            locked,
            action="approved",
            actor=actor,
            before=before,
            after=snapshot(locked, REGISTRATION_FIELDS),
            extra={"organization": unit.pk, "user": user.pk},
            client_ip=client_ip,
        )
        record_change(
            unit,
            action="created",
            actor=actor,
            after=snapshot(unit, UNIT_FIELDS),
            extra={"registration": locked.pk},
            client_ip=client_ip,
        )
        record_change(
            user,
            action="created",
            actor=actor,
            after=snapshot(user, ACCOUNT_FIELDS),
            extra={"registration": locked.pk},
            client_ip=client_ip,
        )
        _role_event(
            user,
            actor=actor,
            before=[],
            organization=unit,
            role=Role.APPLICANT,
            reason=_("单位注册申请已批准"),
            extra={"registration": locked.pk},
            client_ip=client_ip,
        )
        _mail(
            address=locked.email,
            message_key="registration_approved",
            template="administration/people/email/registration_approved.txt",
            context={"registration": locked, "unit": unit, "link": _site_url(reverse("login"))},
            dedup_key=f"registration:{locked.pk}:approved",
        )
    return locked


@retry_on_contention
def registration_refuse(
    *, actor: Any, registration: UnitRegistration, reason: Any, client_ip: str | None = None
) -> UnitRegistration:
    """The recommending unit's reviewer (or CAST staff) refuses a registration, with a reason.

    Side effects, in order: refuses (403) anyone who does not decide it; validates the reason;
    locks the registration, refuses (409) one already decided; marks it refused with the
    reason; appends its "refused" event; e-mails the registrant the reason (outbox).
    """
    _decide_check(actor, registration)
    clean = _check(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = lock_record(UnitRegistration, registration.pk, related=("parent",))
        if locked.status != RegistrationStatus.PENDING:
            raise TransitionConflict(_("该注册申请已处理"))
        before = snapshot(locked, REGISTRATION_FIELDS)
        locked.status = RegistrationStatus.REFUSED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.reason = clean["reason"]
        locked.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        record_change(
            locked,
            action="refused",
            actor=actor,
            before=before,
            after=snapshot(locked, REGISTRATION_FIELDS),
            reason=clean["reason"],
            client_ip=client_ip,
        )
        _mail(
            address=locked.email,
            message_key="registration_refused",
            template="administration/people/email/registration_refused.txt",
            context={"registration": locked},
            dedup_key=f"registration:{locked.pk}:refused",
        )
    return locked


# -- roles and accounts ------------------------------------------------------------------------


def _role_event(
    user: User,
    *,
    actor: Any,
    before: list[str],
    organization: Organization,
    role: str,
    reason: str,
    action: str = "role_granted",
    extra: dict[str, Any] | None = None,
    client_ip: str | None = None,
) -> None:
    record_change(
        user,
        action=action,
        actor=actor,
        before={"roles": before},
        after={"roles": roles_of(user)},
        reason=reason,
        extra={"role": role, "organization": organization.code, **(extra or {})},
        client_ip=client_ip,
    )
    perms.forget_grants(user)


def _manager_check(actor: Any) -> None:
    if not (selectors.is_staff(actor) or selectors.reviewer_units(actor)):
        raise TransitionForbidden(_("您没有管理角色的权限"))


@retry_on_contention
def role_grant(*, actor: Any, user: User, data: dict[str, Any], client_ip: str | None = None) -> Membership:
    """CAST staff grant any role in any unit; a recommending unit's reviewer the applicant role
    in the units below theirs. Always with a reason.

    Side effects, in order:
    1. refuses (403) anyone else;
    2. validates with ``RoleGrantInput`` (an active account, a unit in reach and active, a role
       the actor may grant, CAST-only roles in CAST, not held already, the reason) and writes
       nothing if any problem;
    3. locks the account; adds the membership;
    4. appends the account's "role_granted" event: its roles before and after, the role, the
       unit's code and the reason.
    """
    _manager_check(actor)
    clean = _check(RoleGrantInput(data, actor=actor, account=user))
    with transaction.atomic():
        locked = lock_record(User, user.pk)
        before = roles_of(locked)
        membership = Membership.objects.create(user=locked, organization=clean["organization"], role=clean["role"])
        _role_event(
            locked,
            actor=actor,
            before=before,
            organization=clean["organization"],
            role=clean["role"],
            reason=clean["reason"],
            client_ip=client_ip,
        )
    perms.forget_grants(user)
    return membership


@retry_on_contention
def role_revoke(*, actor: Any, user: User, data: dict[str, Any], client_ip: str | None = None) -> None:
    """Take one of an account's roles back, with a reason: CAST staff any; a reviewer an
    applicant role in the units below theirs.

    Side effects, in order:
    1. refuses (403) anyone else;
    2. validates with ``RoleRevokeInput`` (one of the account's roles, the reason);
    3. refuses (403) a role the actor may not grant;
    4. locks the account; deletes the membership (its history stays in the audit trail);
    5. appends the account's "role_revoked" event: roles before and after, the role, the unit's
       code and the reason.
    """
    _manager_check(actor)
    clean = _check(RoleRevokeInput(data, account=user))
    membership = clean["membership"]
    if not selectors.can_grant(actor, membership.organization, membership.role):
        raise TransitionForbidden(_("您只能撤销您所管理单位的申报人角色"))
    with transaction.atomic():
        locked = lock_record(User, user.pk)
        before = roles_of(locked)
        deleted, _counts = Membership.objects.filter(pk=membership.pk, user=locked).delete()
        if not deleted:
            raise TransitionConflict(_("该角色已被撤销"))
        _role_event(
            locked,
            actor=actor,
            before=before,
            organization=membership.organization,
            role=membership.role,
            reason=clean["reason"],
            action="role_revoked",
            client_ip=client_ip,
        )
    perms.forget_grants(user)


def _account_state(*, actor: Any, user: User, reason: Any, active: bool, client_ip: str | None) -> User:
    if not selectors.can_manage_account(actor, user):
        raise TransitionForbidden(_("您没有停用或恢复该账号的权限"))
    clean = _check(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = lock_record(User, user.pk)
        if locked.is_active == active:
            raise TransitionConflict(_("该账号在用，无需恢复") if active else _("该账号已停用"))
        before = snapshot(locked, ACCOUNT_FIELDS)
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        extra = {}
        if not active:
            # Django and DRF refuse an inactive user's session and token already; the token is
            # deleted too, so reactivating the account does not bring an old one back.
            extra["tokens_deleted"] = Token.objects.filter(user=locked).delete()[0]
        record_change(
            locked,
            action="reactivated" if active else "deactivated",
            actor=actor,
            before=before,
            after=snapshot(locked, ACCOUNT_FIELDS),
            reason=clean["reason"],
            extra=extra,
            client_ip=client_ip,
        )
    return locked


@retry_on_contention
def account_deactivate(*, actor: Any, user: User, reason: Any, client_ip: str | None = None) -> User:
    """CAST staff deactivate any account but their own; a reviewer one whose every role is an
    applicant's in the units below theirs. The account stays, with its history and roles; it can
    no longer sign in, and its sessions and API token stop working.

    Side effects, in order: refuses (403) anyone else; validates the reason; locks the account,
    refuses (409) one already inactive; marks it inactive; deletes its API token; appends its
    "deactivated" event with the reason.
    """
    return _account_state(actor=actor, user=user, reason=reason, active=False, client_ip=client_ip)


@retry_on_contention
def account_reactivate(*, actor: Any, user: User, reason: Any, client_ip: str | None = None) -> User:
    """Undo ``account_deactivate`` (the same people may).

    Side effects, in order: refuses (403) anyone else; validates the reason; locks the account,
    refuses (409) an active one; marks it active; appends its "reactivated" event.
    """
    return _account_state(actor=actor, user=user, reason=reason, active=True, client_ip=client_ip)


@retry_on_contention
def password_set(*, user: User, password: str, action: str, client_ip: str | None = None) -> User:
    """A user's new password, from Django's password change (``action="password_changed"``) or
    reset (``"password_reset"``) form, which checked it (old password, twice, the validators).

    Side effects, in order: locks the account; stores the password's hash (which also ends the
    reset links made before); appends the account's event (the password itself is in no event).
    """
    if action not in ("password_changed", "password_reset"):
        raise ValueError(action)
    with transaction.atomic():
        locked = lock_record(User, user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        record_change(locked, action=action, actor=locked, client_ip=client_ip)
    user.password = locked.password
    return user


def password_reset_mail(*, user: User, uid: str, token: str, subject_template: str, body_template: str) -> None:
    """The reset link Django's PasswordResetForm made for ``user``, e-mailed through the outbox
    in the user's language. Side effects: one e-mail row, delivered after commit."""
    context = {
        "user": user,
        "link": _site_url(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = "".join(render_to_string(subject_template, context).splitlines()).strip()
        text = render_to_string(body_template, context)
    with transaction.atomic():
        outbox_address(
            address=user.email,
            message_key="password_reset",
            subject=subject,
            text=text,
            dedup_key=f"password_reset:{user.pk}:{token}",
        )


# -- the second factor -------------------------------------------------------------------------


def second_factor_begin(*, user: User) -> TOTPDevice:
    """The authenticator a user is enrolling: their unconfirmed TOTP device, made on first use
    (a new random key). Nothing is audited until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


@retry_on_contention
def second_factor_confirm(*, user: User, code: Any, client_ip: str | None = None) -> tuple[TOTPDevice, list[str]]:
    """The user proves their authenticator with a code: it becomes their second factor, with
    ``RECOVERY_CODE_COUNT`` single-use recovery codes (shown once).

    Side effects, in order:
    1. validates the code (``CodeInput``);
    2. locks the account; refuses (409) when a confirmed authenticator exists already (a new one
       only after CAST staff removed it: a stolen password must not enrol another);
    3. checks the code against the device being enrolled (400 if wrong; django-otp throttles);
    4. confirms it; replaces any recovery codes by ``RECOVERY_CODE_COUNT`` new ones;
    5. appends the account's "second_factor_added" event (no key, no code).
    Returns the device and the recovery codes.
    """
    clean = _check(CodeInput({"code": code}))
    with transaction.atomic():
        locked = lock_record(User, user.pk)
        if TOTPDevice.objects.filter(user=locked, confirmed=True).exists():
            raise TransitionConflict(_("两步验证已启用"))
        device = TOTPDevice.objects.select_for_update().filter(user=locked, confirmed=False).order_by("pk").first()
        if device is None:
            raise TransitionConflict(_("请重新打开两步验证页面"))
        if not device.verify_token(normalize(clean["code"])):
            raise InvalidInput(_("验证码不正确，请输入身份验证器当前显示的 6 位数字"))
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=locked, confirmed=False).delete()
        StaticDevice.objects.filter(user=locked).delete()
        static = StaticDevice.objects.create(user=locked, name=_("恢复码"), confirmed=True)
        codes = _new_codes(RECOVERY_CODE_COUNT)
        StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
        record_change(
            locked,
            action="second_factor_added",
            actor=locked,
            after={"second_factor": True},
            before={"second_factor": False},
            extra={"recovery_codes": len(codes)},
            client_ip=client_ip,
        )
    return device, codes


def _new_codes(count: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    return codes


@retry_on_contention
def second_factor_remove(*, actor: Any, user: User, reason: Any, client_ip: str | None = None) -> int:
    """CAST staff remove an account's second factor (a lost phone); at its next sign-in the user
    enrols again.

    Side effects, in order: refuses (403) anyone but CAST staff; validates the reason; locks the
    account, refuses (409) when it has no second factor; deletes its authenticators and recovery
    codes; appends its "second_factor_removed" event with the reason. Returns the devices removed.
    """
    if not selectors.is_staff(actor):
        raise TransitionForbidden(_("只有中国科协工作人员可以停用他人的两步验证"))
    clean = _check(ReasonInput({"reason": reason}))
    with transaction.atomic():
        locked = lock_record(User, user.pk)
        devices: Iterable[Any] = [*TOTPDevice.objects.filter(user=locked), *StaticDevice.objects.filter(user=locked)]
        devices = list(devices)
        if not any(isinstance(d, TOTPDevice) and d.confirmed for d in devices):
            raise TransitionConflict(_("该账号未启用两步验证"))
        for device in devices:
            device.delete()
        record_change(
            locked,
            action="second_factor_removed",
            actor=actor,
            before={"second_factor": True},
            after={"second_factor": False},
            reason=clean["reason"],
            client_ip=client_ip,
        )
    return len(devices)

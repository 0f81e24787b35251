"""The input forms of units and accounts: one per input, used by the services (pages and API
alike), every problem at once, each named by its field (``workflows.inputs.InputForm``).

And the forms Django's auth views take (password change, reset), whose ``save`` goes through
the audited services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import RECOMMENDING_TYPES, Membership, Organization, OrgType, Role, User
from common.http import parse_id
from workflows.inputs import Choice, Flag, InputField, InputForm, Text

from ..models import RegistrationStatus, UnitRegistration
from . import selectors

CODE_MAX_LENGTH = 50
NAME_MAX_LENGTH = 200
REASON_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 2000
UPLOAD_MAX_BYTES = 2 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".json")


class Needed(Text):
    """A text that must be given."""

    def validate(self, value: Any) -> None:
        if not value:
            raise self.refuse(_("请填写“%(label)s”"))


class Ref(InputField):
    """The id of one row of ``queryset`` (set per form: what the user may choose); the row, or
    None when empty."""

    def __init__(self, *, label: Any, message: Any, required: bool = True) -> None:
        super().__init__(label=label)
        self.queryset: QuerySet[Any] | None = None
        self.message = message
        self.needed = required

    def to_python(self, value: Any) -> Any:
        if value in (None, ""):
            if self.needed:
                raise self.refuse(_("请选择“%(label)s”"))
            return None
        pk = parse_id(value)
        found = self.queryset.filter(pk=pk).first() if pk is not None and self.queryset is not None else None
        if found is None:
            raise self.refuse(self.message)
        return found


def role_choice(label: Any) -> Choice:
    return Choice(label=label, values=list(Role.values), message=gettext_lazy("“%(label)s”不是您可以授予的角色"))


def check_code(code: str) -> str | None:
    """Why a new unit's code is not acceptable (the import's rule), or None."""
    if not all(c.isascii() and (c.isalnum() or c in "-_.") for c in code):
        return _("“单位代码”只能由字母、数字和 - _ . 组成")
    if Organization.objects.filter(code__iexact=code).exists():
        return _("单位代码“%(code)s”已被使用") % {"code": code}
    return None


def cast_only_problem(role: str, unit: Organization | None) -> str | None:
    if unit is not None and role in (Role.CAST_STAFF, Role.AUDITOR) and unit.type != OrgType.CAST:
        return _("“%(role)s”角色只能属于中国科协") % {"role": Role(role).label}
    return None


# -- units -------------------------------------------------------------------------------------


class UnitInput(InputForm):
    """A new unit: code, name, type and parent; a county CAST may be a pilot county."""

    code = Needed(label=gettext_lazy("单位代码"), max_length=CODE_MAX_LENGTH)
    name = Needed(label=gettext_lazy("单位名称"), max_length=NAME_MAX_LENGTH)
    type = Choice(label=gettext_lazy("单位类型"), values=[], message=gettext_lazy("请选择可用的“%(label)s”"))
    parent = Ref(label=gettext_lazy("上级单位"), message=gettext_lazy("“%(label)s”不存在、已停用或不在您的管理范围内"))
    pilot_county = Flag(label=gettext_lazy("新时代文明实践中心试点县"))

    def __init__(self, data: Any, *, actor: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["type"].values = selectors.creatable_types(actor)
        self.fields["parent"].queryset = selectors.parent_choices(user=actor)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        problem = check_code(code) if code else None
        if problem:
            raise ValidationError(problem)
        return code

    def clean_type(self) -> str:
        if not self.cleaned_data["type"]:
            raise ValidationError(_("请选择“单位类型”"))
        return self.cleaned_data["type"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("pilot_county") and data.get("type") and data["type"] != OrgType.COUNTY_CAST:
            raise ValidationError(_("只有县级科协可以是试点县"))
        return data


class UnitChangeInput(InputForm):
    """A unit renamed, moved under another parent, its pilot-county flag, legal-person flag or
    recommending channel changed: only the keys given are changed (``channel`` empty: back to
    the default channel)."""

    name = Needed(label=gettext_lazy("单位名称"), max_length=NAME_MAX_LENGTH)
    parent = Ref(label=gettext_lazy("上级单位"), message=gettext_lazy("“%(label)s”不存在或已停用"))
    pilot_county = Flag(label=gettext_lazy("新时代文明实践中心试点县"))
    legal_person = Flag(label=gettext_lazy("独立法人"))
    channel = Ref(
        label=gettext_lazy("推荐渠道"),
        message=gettext_lazy("“%(label)s”须是在用的推荐单位（全国学会、省级科协、副省级城市科协或兵团科协）"),
        required=False,
    )
    reason = Text(label=gettext_lazy("修改说明"), max_length=REASON_MAX_LENGTH)

    def __init__(self, data: Any, *, unit: Organization, **kwargs: Any) -> None:
        super().__init__(data, partial=True, **kwargs)
        self.unit = unit
        if "parent" in self.fields:
            self.fields["parent"].queryset = Organization.objects.filter(is_active=True)
        if "channel" in self.fields:
            self.fields["channel"].queryset = Organization.objects.filter(
                is_active=True, type__in=list(RECOMMENDING_TYPES)
            )

    def clean_channel(self) -> Organization | None:
        channel = self.cleaned_data["channel"]
        if channel is None:
            return None
        if self.unit.type in RECOMMENDING_TYPES or self.unit.type == OrgType.CAST:
            raise ValidationError(_("推荐单位本身直接报送中国科协，不设推荐渠道"))
        if channel.pk == self.unit.pk:
            raise ValidationError(_("单位不能以自己为推荐渠道"))
        return channel

    def clean_parent(self) -> Organization:
        parent = self.cleaned_data["parent"]
        if self.unit.type == OrgType.CAST:
            raise ValidationError(_("中国科协是根组织，不能有上级"))
        if parent.pk == self.unit.pk or self.unit.pk in {a.pk for a in parent.ancestors()}:
            raise ValidationError(_("不能把单位移到它自己或它的下级单位之下"))
        return parent

    def clean_pilot_county(self) -> bool:
        pilot = self.cleaned_data["pilot_county"]
        if pilot and self.unit.type != OrgType.COUNTY_CAST:
            raise ValidationError(_("只有县级科协可以是试点县"))
        return pilot


class ReasonInput(InputForm):
    """A decision that needs a reason: deactivating, reactivating, refusing, removing a second
    factor."""

    reason = Needed(label=gettext_lazy("理由"), max_length=REASON_MAX_LENGTH)


class UnitsUploadInput(InputForm):
    """An organizations file (CSV or JSON, ``load_organizations``' columns) uploaded by CAST
    staff; its rows are checked by the import itself."""

    file = InputField(label=gettext_lazy("组织文件"))

    def __init__(self, data: Any, *, upload: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.upload = upload
        self.content = b""

    def leading(self) -> list[str]:
        upload = self.upload
        if upload is None:
            return [_("请选择要上传的组织文件（CSV 或 JSON）")]
        problems = []
        name = getattr(upload, "name", "") or ""
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            problems.append(_("文件“%(name)s”不是 CSV 或 JSON 文件") % {"name": name})
        size = getattr(upload, "size", 0) or 0
        if size > UPLOAD_MAX_BYTES:
            problems.append(_("文件“%(name)s”超过 2 MB") % {"name": name})
        elif size == 0:
            problems.append(_("文件“%(name)s”是空的") % {"name": name})
        if not problems:
            self.content = upload.read()
        return problems


# -- people ------------------------------------------------------------------------------------


def username_problems(username: str, *, pending_too: bool) -> list[str]:
    problems = []
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        problems.append(_("“用户名”只能包含字母、数字和 @ . + - _"))
    if User.objects.filter(username__iexact=username).exists():
        problems.append(_("用户名“%(username)s”已被使用") % {"username": username})
    elif (
        pending_too
        and UnitRegistration.objects.filter(username__iexact=username, status=RegistrationStatus.PENDING).exists()
    ):
        problems.append(_("用户名“%(username)s”已被一份待审核的注册申请使用") % {"username": username})
    return problems


class PasswordsInput(InputForm):
    """A new account's username, name and password (typed twice, Django's password validators)."""

    username = Needed(label=gettext_lazy("用户名"), max_length=150)
    display_name = Needed(label=gettext_lazy("姓名"), max_length=100)
    phone = Text(label=gettext_lazy("电话"), max_length=30)
    password1 = InputField(label=gettext_lazy("密码"))
    password2 = InputField(label=gettext_lazy("确认密码"))

    email_for_validation = ""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if username:
            problems = username_problems(username, pending_too=True)
            if problems:
                raise ValidationError(problems)
        return username

    def clean_password1(self) -> str:
        password = self.cleaned_data["password1"]
        if not isinstance(password, str) or not password:
            raise ValidationError(_("请填写“密码”"))
        return password

    def clean_password2(self) -> str:
        password = self.cleaned_data["password2"]
        if not isinstance(password, str) or not password:
            raise ValidationError(_("请再次填写密码"))
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("两次填写的密码不一致"))
        if first:
            candidate = User(
                username=data.get("username") or "",
                display_name=data.get("display_name") or "",
                email=self.email_for_validation,
            )
            validate_password(first, user=candidate)
        return data


class InvitationAcceptInput(PasswordsInput):
    """What an invitee gives when following the link: their username, name, phone, password."""

    def __init__(self, data: Any, *, email: str, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.email_for_validation = email


class RegistrationInput(PasswordsInput):
    """A unit registering itself: the unit (name, type, parent) and its first applicant."""

    unit_name = Needed(label=gettext_lazy("单位名称"), max_length=NAME_MAX_LENGTH)
    unit_type = Choice(
        label=gettext_lazy("单位类型"),
        values=[t for t in OrgType.values if t != OrgType.CAST],
        message=gettext_lazy("请选择可用的“%(label)s”"),
    )
    parent = Ref(label=gettext_lazy("上级单位"), message=gettext_lazy("“%(label)s”不存在或已停用"))
    email = Needed(label=gettext_lazy("电子邮箱"), max_length=254, email=True)
    note = Text(label=gettext_lazy("说明"), max_length=NOTE_MAX_LENGTH)

    field_order = [
        "parent",
        "unit_name",
        "unit_type",
        "username",
        "display_name",
        "email",
        "phone",
        "password1",
        "password2",
        "note",
    ]

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["parent"].queryset = selectors.registration_parents()
        self.email_for_validation = str(self.raw.get("email") or "")

    def clean_unit_type(self) -> str:
        if not self.cleaned_data["unit_type"]:
            raise ValidationError(_("请选择“单位类型”"))
        return self.cleaned_data["unit_type"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email and User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("电子邮箱“%(email)s”已有账号，请直接登录或找回密码") % {"email": email})
        return email


class InvitationInput(InputForm):
    """Whom to invite (an e-mail address without an account), to which unit, in which role."""

    email = Needed(label=gettext_lazy("电子邮箱"), max_length=254, email=True)
    display_name = Text(label=gettext_lazy("姓名"), max_length=100)
    organization = Ref(
        label=gettext_lazy("单位"), message=gettext_lazy("“%(label)s”不存在、已停用或不在您的管理范围内")
    )
    role = role_choice(gettext_lazy("角色"))

    def __init__(self, data: Any, *, actor: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.actor = actor
        self.fields["organization"].queryset = selectors.grantable_units(user=actor)
        self.fields["role"].values = selectors.grantable_roles(actor)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email and User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("电子邮箱“%(email)s”已有账号：请在账号页面直接授予角色") % {"email": email})
        return email

    def clean_role(self) -> str:
        if not self.cleaned_data["role"]:
            raise ValidationError(_("请选择“角色”"))
        return self.cleaned_data["role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        problem = cast_only_problem(data.get("role") or "", data.get("organization"))
        if problem:
            raise ValidationError(problem)
        return data


class RoleGrantInput(InputForm):
    """A role given to an account in a unit, with the reason."""

    organization = Ref(
        label=gettext_lazy("单位"), message=gettext_lazy("“%(label)s”不存在、已停用或不在您的管理范围内")
    )
    role = role_choice(gettext_lazy("角色"))
    reason = Needed(label=gettext_lazy("理由"), max_length=REASON_MAX_LENGTH)

    def __init__(self, data: Any, *, actor: Any, account: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.account = account
        self.fields["organization"].queryset = selectors.grantable_units(user=actor)
        self.fields["role"].values = selectors.grantable_roles(actor)

    def clean_role(self) -> str:
        if not self.cleaned_data["role"]:
            raise ValidationError(_("请选择“角色”"))
        return self.cleaned_data["role"]

    def leading(self) -> list[str]:
        return [] if self.account.is_active else [_("账号已停用，不能授予角色")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        unit, role = data.get("organization"), data.get("role")
        problem = cast_only_problem(role or "", unit)
        if problem:
            raise ValidationError(problem)
        if unit is not None and role and Membership.objects.filter(user=self.account, organization=unit, role=role):
            raise ValidationError(
                _("该账号已在“%(unit)s”担任“%(role)s”") % {"unit": unit.name, "role": Role(role).label}
            )
        return data


class RoleRevokeInput(InputForm):
    """One of an account's roles taken back, with the reason."""

    membership = Ref(label=gettext_lazy("角色"), message=gettext_lazy("该账号没有这个角色"))
    reason = Needed(label=gettext_lazy("理由"), max_length=REASON_MAX_LENGTH)

    def __init__(self, data: Any, *, account: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["membership"].queryset = Membership.objects.filter(user=account).select_related("organization")


class CodeInput(InputForm):
    """A code from the authenticator app, or a recovery code."""

    code = Needed(label=gettext_lazy("验证码"), max_length=64)


# -- Django's auth views, audited ----------------------------------------------------------------


class AuditedPasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change (old password, new one twice, the validators); saved by
    ``services.password_set`` (the "password_changed" event)."""

    def __init__(self, user: Any, *args: Any, client_ip: str | None = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.client_ip = client_ip

    def save(self, commit: bool = True) -> Any:
        from .services import password_set

        return password_set(
            user=self.user,
            password=self.cleaned_data["new_password1"],
            action="password_changed",
            client_ip=self.client_ip,
        )


class AuditedSetPasswordForm(auth_forms.SetPasswordForm):
    """Django's new password after a reset link; saved by ``services.password_set`` (the
    "password_reset" event)."""

    def __init__(self, user: Any, *args: Any, client_ip: str | None = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.client_ip = client_ip

    def save(self, commit: bool = True) -> Any:
        from .services import password_set

        return password_set(
            user=self.user,
            password=self.cleaned_data["new_password1"],
            action="password_reset",
            client_ip=self.client_ip,
        )


class OutboxPasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset request, its e-mail written to the outbox (delivered and retried by the
    notifications app) instead of sent on the spot."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from .services import password_reset_mail

        password_reset_mail(
            user=context["user"],
            uid=context["uid"],
            token=context["token"],
            subject_template=subject_template_name,
            body_template=email_template_name,
        )

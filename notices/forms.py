"""The input of the notice services, each checked by one form that the page and the API share:
the public's objection (异议, ``ObjectionForm``, read by ``services.objection_file``) and the
start date of a publication (``PublishInput``, read by ``services.notice_publish``) — every
problem at once, in the order the page shows its fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows.inputs import Choice, Date, InputField, InputForm, Text
from workflows.uploads import check_upload

from .models import NoticeEntry, NoticeStatus, ObjectionChannel, PublicNotice

NAME_MAX_LENGTH = 50
IDENTITY_MAX_LENGTH = 100
UNIT_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
CONTENT_MIN_LENGTH = 10
CONTENT_MAX_LENGTH = 2000
PHONE_PATTERN = re.compile(r"[0-9+\-]{7,20}")
EVIDENCE_MAX_FILES = 5
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png")
# A notice may be scheduled at most this many days ahead (a mistyped year is caught).
SCHEDULE_MAX_DAYS = 366


def period_problem(notice: PublicNotice) -> str | None:
    """Why the notice takes no objection today, if it does not."""
    if notice.status != NoticeStatus.PUBLISHED or notice.starts_on is None or notice.ends_on is None:
        return _("该公示不在公示期内，不接受异议")
    today = timezone.localdate()
    if not notice.starts_on <= today <= notice.ends_on:
        return _("公示期为 %(start)s 至 %(end)s，现已不在公示期内，不接受异议") % {
            "start": notice.starts_on.isoformat(),
            "end": notice.ends_on.isoformat(),
        }
    return None


class Said(InputField):
    """What the objector wrote: a stripped text (anything else counts as nothing), required,
    between ``min_length`` and ``max_length`` characters, with the objection form's wording."""

    def __init__(
        self, *, missing: Any, max_length: int, too_long: Any, min_length: int = 0, too_short: Any = None
    ) -> None:
        super().__init__(label="")
        self.missing, self.limit, self.too_long = missing, max_length, too_long
        self.minimum, self.too_short = min_length, too_short

    def to_python(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise ValidationError(str(self.missing))
        if len(text) < self.minimum:
            raise ValidationError(str(self.too_short) % {"n": self.minimum})
        if len(text) > self.limit:
            raise ValidationError(str(self.too_long) % {"n": self.limit})
        return text


class Phone(InputField):
    def to_python(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise ValidationError(_("请填写联系电话"))
        if not PHONE_PATTERN.fullmatch(text) or sum(c.isdigit() for c in text) < 7:
            raise ValidationError(_("联系电话只能包含数字、“+”和“-”，长度为 7 至 20 位"))
        return text


class OptionalEmail(InputField):
    def to_python(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if text:
            try:
                if len(text) > EMAIL_MAX_LENGTH:
                    raise ValidationError("too long")
                validate_email(text)
            except ValidationError:
                raise ValidationError(_("电子邮箱格式不正确")) from None
        return text


class ObjectionForm(InputForm):
    """An objection to one entry of a published notice, in real name and in writing.

    ``leading`` reports a notice out of its period and a missing entry first; the evidence
    files (at most 5, 10 MB each, PDF/JPG/PNG by their bytes) last. After ``problems()`` is
    empty, ``entry`` is the entry objected to and ``evidence`` the checked files.
    """

    accepted = ("entry",)

    name = Said(
        missing=gettext_lazy("请填写姓名"),
        max_length=NAME_MAX_LENGTH,
        too_long=gettext_lazy("姓名不得超过 %(n)s 个字符"),
    )
    # Optional, and not an ID-card number (more personal data than an objection needs).
    identity = Text(
        label=gettext_lazy("职务或身份"),
        max_length=IDENTITY_MAX_LENGTH,
        too_long=gettext_lazy("职务或身份不得超过 %(n)s 个字符"),
    )
    unit = Said(
        missing=gettext_lazy("请填写工作单位"),
        max_length=UNIT_MAX_LENGTH,
        too_long=gettext_lazy("工作单位不得超过 %(n)s 个字符"),
    )
    phone = Phone(label="")
    email = OptionalEmail(label="")
    content = Said(
        missing=gettext_lazy("请填写异议内容"),
        max_length=CONTENT_MAX_LENGTH,
        too_long=gettext_lazy("异议内容不得超过 %(n)s 个字符"),
        min_length=CONTENT_MIN_LENGTH,
        too_short=gettext_lazy("异议内容不得少于 %(n)s 个字符"),
    )

    def __init__(self, data: Any, *, notice: PublicNotice, files: Iterable[Any] = ()) -> None:
        super().__init__(data)
        self.notice = notice
        self.uploads = [f for f in (files or ()) if f is not None]
        self.entry: NoticeEntry | None = None
        self.evidence: list[Any] = []

    def leading(self) -> list[str]:
        found = []
        period = period_problem(self.notice)
        if period:
            found.append(period)
        try:
            self.entry = NoticeEntry.objects.filter(notice=self.notice, pk=int(self.raw.get("entry"))).first()
        except (TypeError, ValueError):
            self.entry = None
        if self.entry is None:
            found.append(_("请选择异议对象（公示名单中的一项）"))
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if len(self.uploads) > EVIDENCE_MAX_FILES:
            raise ValidationError(
                _("证明材料最多 %(n)s 个文件，您选择了 %(count)s 个")
                % {"n": EVIDENCE_MAX_FILES, "count": len(self.uploads)}
            )
        problems: list[str] = []
        for upload in self.uploads:
            good, found = check_upload(
                upload, allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES, label=_("证明材料")
            )
            problems.extend(found)
            if good is not None:
                self.evidence.append(good)
        if problems:
            raise ValidationError(problems)
        return data


class PublishInput(InputForm):
    """When a reviewed notice starts: empty or today publishes it now; a later day, at most
    ``SCHEDULE_MAX_DAYS`` ahead, schedules it. ``cleaned_data["starts_on"]`` is then the day
    (today when empty)."""

    starts_on = Date(label=gettext_lazy("公示开始日期"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        day = data.get("starts_on")
        if day is None:
            data["starts_on"] = today
        elif day < today:
            raise ValidationError(_("公示开始日期不得早于今天（%(today)s）") % {"today": today.isoformat()})
        elif day > today + dt.timedelta(days=SCHEDULE_MAX_DAYS):
            raise ValidationError(
                _("公示开始日期最晚为 %(latest)s（%(n)s 天内）")
                % {"latest": (today + dt.timedelta(days=SCHEDULE_MAX_DAYS)).isoformat(), "n": SCHEDULE_MAX_DAYS}
            )
        return data


class ContactsInput(InputForm):
    """Where and how to object (受理): the accepting unit, a contact person, phone, postal
    address and e-mail. Each may be left empty while the notice is prepared; publishing needs
    the unit, a person and a phone (``contacts_missing``)."""

    accepting_unit = Text(label=gettext_lazy("受理单位"), max_length=200)
    contact_person = Text(label=gettext_lazy("联系人"), max_length=50)
    contact_phone = Text(label=gettext_lazy("联系电话"), max_length=50)
    contact_address = Text(label=gettext_lazy("通讯地址"), max_length=200)
    contact_email = Text(label=gettext_lazy("电子邮箱"), max_length=EMAIL_MAX_LENGTH, email=True)


CONTACT_FIELDS = tuple(ContactsInput.base_fields)


def contacts_missing(notice: PublicNotice) -> list[str]:
    """What a notice must still say before it goes public: whom to object to, and how."""
    found = []
    for name in ("accepting_unit", "contact_person", "contact_phone"):
        if not getattr(notice, name):
            found.append(_("请填写受理信息：“%(label)s”") % {"label": ContactsInput.base_fields[name].label})
    if not notice.contact_address and not notice.contact_email:
        found.append(_("请填写受理信息：“通讯地址”或“电子邮箱”至少一项"))
    return found


class RegisteredObjectionForm(ObjectionForm):
    """An objection that came by letter, fax, e-mail or visit, entered by CAST staff: the
    channel and the day it was received (within the notice period, not in the future); the
    scan goes with it as evidence. The objector's phone is required as online: the reply and
    the lookup by reference need it."""

    channel = Choice(
        label=gettext_lazy("受理方式"),
        values=[c for c in ObjectionChannel.values if c != ObjectionChannel.ONLINE],
        message=gettext_lazy("受理方式必须是来信、传真、电子邮件或来访"),
    )
    received_on = Date(label=gettext_lazy("收到日期"))

    def leading(self) -> list[str]:
        found = []
        if self.notice.status != NoticeStatus.PUBLISHED or self.notice.starts_on is None:
            found.append(_("该公示不在公示期内，不能登记异议"))
        try:
            self.entry = NoticeEntry.objects.filter(notice=self.notice, pk=int(self.raw.get("entry"))).first()
        except (TypeError, ValueError):
            self.entry = None
        if self.entry is None:
            found.append(_("请选择异议对象（公示名单中的一项）"))
        return found

    def clean_channel(self) -> str:
        value = self.cleaned_data.get("channel")
        if not value:
            raise ValidationError(_("请选择受理方式"))
        return value

    def clean_received_on(self) -> dt.date:
        day = self.cleaned_data.get("received_on")
        if day is None:
            raise ValidationError(_("请填写收到日期"))
        notice = self.notice
        if day > timezone.localdate():
            raise ValidationError(_("收到日期不能晚于今天"))
        if notice.starts_on and notice.ends_on and not notice.starts_on <= day <= notice.ends_on:
            raise ValidationError(
                _("收到日期须在公示期内（%(start)s 至 %(end)s）")
                % {"start": notice.starts_on.isoformat(), "end": notice.ends_on.isoformat()}
            )
        return day


class LookupInput(InputForm):
    """The objector's look-up: the reference they were given and the phone they left."""

    reference = Text(label=gettext_lazy("受理编号"), max_length=20, squash=True)
    phone = Text(label=gettext_lazy("联系电话"), max_length=20, squash=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        missing = [
            _("请填写“%(label)s”") % {"label": self.base_fields[name].label}
            for name in ("reference", "phone")
            if not data.get(name)
        ]
        if missing:
            raise ValidationError(missing)
        data["reference"] = data["reference"].upper()
        return data

"""Forms of nominations: ``NominationInput`` checks every input (the services validate the
API's bodies and the pages' posts through it, so both report the same problems, all at once);
``NominationForm`` is the page's form, which collects what the user typed and renders it
back — plain text fields, their checks being the input form's (the ``maxlength`` of the deeds
textarea only helps the browser).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows import inputs
from workflows.forms import BLANK, UnitChoiceForm
from workflows.models import Round, RoundKind

from .checks import DEEDS_MAX, REQUIRED_BY_CATEGORY
from .models import Category, Gender, Nomination

# The groups of the printed form (推荐表), in order: (key, heading, fields). The category
# groups carry the category's value as key; their fields are required for that category at
# submission (``checks.REQUIRED_BY_CATEGORY``).
COMMON_GROUP = ("nominee", _("被推荐对象"), ("nominee_name",))
CATEGORY_GROUPS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    (
        Category.VOLUNTEER,
        Category.VOLUNTEER.label,
        ("gender", "birth_date", "person_org", "person_title", "volunteer_number"),
    ),
    (Category.TEAM, Category.TEAM.label, ("founded_on",)),
    (Category.PROJECT, Category.PROJECT.label, ("period_start", "period_end", "organizer")),
    (Category.SITE, Category.SITE.label, ("site_region", "site_kind")),
)
OTHER_GROUPS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("service", _("服务记录"), ("activities", "service_hours", "registered_volunteers")),
    ("deeds", _("主要事迹"), ("deeds",)),
    ("contact", _("联系方式"), ("contact_name", "contact_phone")),
    ("unit_opinion", _("申报单位意见"), ("unit_opinion", "unit_opinion_signer", "unit_opinion_date")),
)
DATE_FIELDS = ("birth_date", "founded_on", "period_start", "period_end", "unit_opinion_date")
NUMBER_FIELDS = ("activities", "service_hours", "registered_volunteers")
LONG_TEXT_FIELDS = ("deeds", "unit_opinion")
# Every field the form sends to the service.
FORM_FIELDS = tuple(name for _key, _heading, names in (COMMON_GROUP, *CATEGORY_GROUPS, *OTHER_GROUPS) for name in names)
SITE_KINDS = (("社区", _("社区")), ("村", _("村")))


def _label(name: str) -> Any:
    return Nomination._meta.get_field(name).verbose_name


TOO_LONG = _("“%(label)s”不得超过 %(n)s 个字（现为 %(m)s 个）")
TEXT_LIMITS = {
    "nominee_name": 100,
    "person_org": 200,
    "person_title": 100,
    "volunteer_number": 50,
    "organizer": 200,
    "site_region": 200,
    "site_kind": 20,
    "deeds": DEEDS_MAX,
    "contact_name": 50,
    "contact_phone": 30,
    "unit_opinion": 2000,
    "unit_opinion_signer": 50,
}
COUNT_LIMITS = {"registered_volunteers": 1_000_000, "activities": 1_000_000}


class _NominationChecks(inputs.InputForm):
    accepted = ("round", "category", "organization")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        born = data.get("birth_date")
        if born and born > timezone.localdate():
            raise forms.ValidationError(_("出生日期不能晚于今天"))
        return data


def _input_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {
        name: inputs.Text(label=_label(name), max_length=limit, squash=name == "nominee_name", too_long=TOO_LONG)
        for name, limit in TEXT_LIMITS.items()
    }
    fields.update({name: inputs.Date(label=_label(name)) for name in DATE_FIELDS})
    fields.update({name: inputs.Count(label=_label(name), maximum=m) for name, m in COUNT_LIMITS.items()})
    fields["gender"] = inputs.Choice(
        label=_label("gender"), values=list(Gender.values), message=_("“性别”只能是 male 或 female")
    )
    fields["service_hours"] = inputs.Quantity(label=_label("service_hours"), places=1, maximum=Decimal("999999999"))
    return fields


# Every field a nomination's applicant may write, checked (create and update), in the order
# problems are listed.
NominationInput = type("NominationInput", (_NominationChecks,), _input_fields())


def selection_rounds() -> list[Round]:
    return list(Round.objects.filter(kind=RoundKind.SELECTION).order_by("-year", "-pk"))


def open_selection_rounds() -> list[Round]:
    """Selection rounds whose submission window is open now."""
    now = timezone.now()
    return list(
        Round.objects.filter(kind=RoundKind.SELECTION, submission_opens__lte=now, submission_closes__gte=now).order_by(
            "-year", "-pk"
        )
    )


class NominationForm(UnitChoiceForm):
    """The nomination form (推荐表). ``rounds`` are the selection rounds to choose from (none
    when editing: round and category are fixed once created); ``organizations`` the applicant
    units to choose from when the user belongs to several."""

    round = forms.ChoiceField(label=_("选树批次"), required=False)
    category = forms.ChoiceField(label=_("类别"), required=False)

    def __init__(
        self,
        *args: Any,
        rounds: list[Round] | None = None,
        organizations: list[tuple[str, str]] | None = None,
        category: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, organizations=organizations, **kwargs)
        blank = [BLANK]
        self.fixed_category = category
        if category is None:
            self.fields["round"].choices = blank + [(str(r.pk), r.title) for r in rounds or []]
            self.fields["category"].choices = blank + list(Category.choices)
        else:
            del self.fields["round"]
            del self.fields["category"]
        for name in FORM_FIELDS:
            self.fields[name] = forms.CharField(label=_label(name), required=False, strip=False)
        for name in DATE_FIELDS:
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        for name in NUMBER_FIELDS:
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.fields["activities"].widget.attrs["inputmode"] = "numeric"
        self.fields["registered_volunteers"].widget.attrs["inputmode"] = "numeric"
        self.fields["registered_volunteers"].help_text = _("服务队（组织）类别必填")
        self.fields["service_hours"].help_text = _("单位：小时，可保留一位小数")
        self.fields["gender"] = forms.ChoiceField(
            label=_label("gender"), required=False, choices=blank + list(Gender.choices)
        )
        current_kind = str(self._value_of("site_kind") or "")
        kinds = list(SITE_KINDS)
        if current_kind and current_kind not in dict(kinds):
            kinds.append((current_kind, current_kind))
        self.fields["site_kind"] = forms.ChoiceField(label=_label("site_kind"), required=False, choices=blank + kinds)
        self.fields["deeds"].widget = forms.Textarea(
            attrs={"rows": 12, "maxlength": DEEDS_MAX, "aria-describedby": "id_deeds_helptext id_deeds_count"}
        )
        self.fields["deeds"].help_text = _("内容将用于公开宣传，请勿填写身份证号、电话等个人信息。")
        self.fields["unit_opinion"].widget = forms.Textarea(attrs={"rows": 4})
        self.fields["unit_opinion_signer"].help_text = _("申报单位负责人签字；盖章意见请在保存后以 PDF 上传")
        self.fields["contact_phone"].widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
        self.fields["contact_phone"].help_text = _("仅供工作联系，不公开")
        self.fields["birth_date"].help_text = _("不公开")

    def _value_of(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def groups(self) -> list[dict[str, Any]]:
        """The fields in the printed order, grouped with headings; each category group says
        whether its fields are required (for the record's category) or which category needs them."""
        result = [{"key": COMMON_GROUP[0], "heading": COMMON_GROUP[1], "fields": [self["nominee_name"]]}]
        # The record's own category first (when editing), then the others in form order.
        ordered = sorted(CATEGORY_GROUPS, key=lambda g: g[0] != self.fixed_category)
        for key, heading, names in ordered:
            fields = [self[n] for n in names]
            result.append(
                {
                    "key": key,
                    "heading": heading,
                    "fields": fields,
                    "category": True,
                    "own": self.fixed_category == key,
                    "required": [str(_label(n)) for n in REQUIRED_BY_CATEGORY.get(key, ()) if n != "nominee_name"],
                }
            )
        for key, heading, names in OTHER_GROUPS:
            result.append({"key": key, "heading": heading, "fields": [self[n] for n in names]})
        return result

    def deeds_length(self) -> int:
        return len(_normalize_newlines(str(self._value_of("deeds") or "")))

    def service_data(self) -> dict[str, Any]:
        """The fields in the shape of the API's request body."""
        data: dict[str, Any] = {}
        for name in FORM_FIELDS:
            value = self.cleaned_data.get(name)
            value = "" if value is None else str(value)
            if name in LONG_TEXT_FIELDS:
                # Browsers post line breaks as CRLF; the 2,000-character limit counts one each.
                value = _normalize_newlines(value)
            data[name] = value.strip()
        for name in ("organization", "round", "category"):
            if self.cleaned_data.get(name):
                data[name] = self.cleaned_data[name]
        return data


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")

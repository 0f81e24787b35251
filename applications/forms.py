"""Forms of applications: ``ApplicationInput`` checks every input (the services validate the
API's bodies and the pages' posts through it, so both report the same problems, all at once);
``ApplicationForm`` and the row formsets are the page's forms, which collect what the user
typed and render it back — plain text fields, their checks being the input form's.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflows import inputs
from workflows.forms import BLANK, UnitChoiceForm
from workflows.models import Round, RoundKind

from . import sections
from .models import Application, BudgetCategory, BudgetLine, SubprojectType, TeamMember

COMMITMENT_TEXT = _("本单位承诺：申报材料真实，内容经过审核把关，接受监督检查和绩效评价")

TEXT_FIELDS = (
    "name",
    "leader_name",
    "leader_title",
    "leader_phone",
    "leader_mobile",
    "leader_email",
    "region_province",
    "region_city",
    "region_county",
)
LONG_TEXT_FIELDS = ("target_groups", "basis", "content", "outcomes", "conditions")
DATE_FIELDS = ("period_start", "period_end")
# Every field the form sends to the service, in the order of the printed form.
FORM_FIELDS = (
    *TEXT_FIELDS,
    "target_groups",
    *DATE_FIELDS,
    "basis",
    "content",
    "outcomes",
    "conditions",
    "requested_amount",
    "commitment",
    "commitment_signer",
)
TEAM_ROWS = 10
BUDGET_ROWS = 15
SCHEDULE_ROWS = 8
TARGET_ROWS = 8
MAX_ROWS = 50


def _label(model: Any, name: str) -> Any:
    return model._meta.get_field(name).verbose_name


TEXT_LIMITS = {
    "name": 200,
    "leader_name": 50,
    "leader_title": 100,
    "leader_phone": 30,
    "leader_mobile": 30,
    "leader_email": 254,
    "region_province": 50,
    "region_city": 50,
    "region_county": 50,
    "target_groups": 2000,
    "basis": 5000,
    "content": 5000,
    "outcomes": 5000,
    "conditions": 5000,
    "commitment_signer": 50,
}
TEAM_LIMITS = {"name": 50, "education": 50, "qualification": 100, "role": 100, "phone": 30}
BUDGET_LIMITS = {"item": 100, "note": 200}


class BudgetRows(inputs.Rows):
    """Budget lines: each with its standard category (支出科目), its content and amount."""

    def __init__(self, *, label: Any) -> None:
        super().__init__(label=label, columns=BUDGET_LIMITS, first_label=_("支出内容"), amount=True)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            return super().to_python(value)
        errors: list[str] = []
        categories = []
        stripped = []
        for number, row in enumerate(value, start=1):
            if isinstance(row, dict):
                row = dict(row)
                category = row.pop("category", "")
                if category not in BudgetCategory.values:
                    where = _("%(label)s第 %(n)s 行") % {"label": self.label, "n": number}
                    errors.append(
                        gettext("%(where)s：请选择支出科目（%(choices)s）")
                        % {"where": where, "choices": "、".join(str(label) for label in BudgetCategory.labels)}
                    )
                categories.append(category)
            else:
                categories.append("")
            stripped.append(row)
        try:
            rows = super().to_python(stripped)
        except forms.ValidationError as exc:
            raise forms.ValidationError(errors + exc.messages) from None
        if errors:
            raise forms.ValidationError(errors)
        return [{"category": category, **row} for category, row in zip(categories, rows, strict=True)]


class TargetRows(inputs.InputField):
    """The 绩效目标表's rows (applications.sections.target_rows)."""

    def to_python(self, value: Any) -> list[dict[str, str]]:
        return sections.target_rows(value, self.label)


class SectionValues(inputs.InputField):
    """A section's values (an object); its kind, which depends on the sub-project, is checked by
    the service (``sections.SectionKind.clean``); the common section's here."""

    def __init__(self, *, label: Any, kind: sections.SectionKind | None = None) -> None:
        super().__init__(label=label)
        self.kind = kind

    def to_python(self, value: Any) -> dict[str, Any]:
        if value in (None, ""):
            value = {}
        if not isinstance(value, dict):
            raise self.refuse(_("“%(label)s”必须是对象（字段名: 值）"))
        if self.kind is None:
            return value
        clean, problems = self.kind.clean(value)
        if problems:
            raise forms.ValidationError(problems)
        return clean


def _input_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {
        name: inputs.Text(
            label=_label(Application, name), max_length=limit, squash=name == "name", email=name == "leader_email"
        )
        for name, limit in TEXT_LIMITS.items()
    }
    fields.update({name: inputs.Date(label=_label(Application, name)) for name in DATE_FIELDS})
    fields["commitment"] = inputs.Flag(label=_label(Application, "commitment"))
    fields["requested_amount"] = inputs.Amount(label=_label(Application, "requested_amount"))
    fields["section"] = SectionValues(label=_label(Application, "section"))
    fields["common"] = SectionValues(label=_label(Application, "common"), kind=sections.COMMON)
    fields["schedule"] = inputs.Rows(
        label=_label(Application, "schedule"), columns=sections.SCHEDULE_LIMITS, first_label=_("时间")
    )
    fields["performance"] = TargetRows(label=_label(Application, "performance"))
    fields["team"] = inputs.Rows(label=_("团队成员"), columns=TEAM_LIMITS, first_label=_("姓名"))
    fields["budget"] = BudgetRows(label=_("预算明细"))
    return fields


class _ApplicationChecks(inputs.InputForm):
    # pilot_county: derived from the applicant unit; a value given is compared with it by the
    # service (services._pilot_problem), never stored.
    accepted = ("subproject", "round", "organization", "pilot_county")


# Every field an application's applicant may write, checked (create and update), in the order
# problems are listed.
ApplicationInput = type("ApplicationInput", (_ApplicationChecks,), _input_fields())


def open_subprojects() -> list[SubprojectType]:
    """Sub-projects of the application rounds whose submission window is open now."""
    now = timezone.now()
    return list(
        SubprojectType.objects.filter(
            round__kind=RoundKind.APPLICATION, round__submission_opens__lte=now, round__submission_closes__gte=now
        )
        .select_related("round")
        .order_by("-round__year", "round_id", "position", "pk")
    )


class ApplicationForm(UnitChoiceForm):
    """The application form (申报书). ``subprojects`` are the choices; ``organizations`` the
    applicant units to choose from when the user belongs to several."""

    subproject = forms.ChoiceField(label=_("批次 · 子项目"), required=False)

    def __init__(
        self,
        *args: Any,
        subprojects: list[SubprojectType],
        organizations: list[tuple[str, str]] | None = None,
        with_round: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, organizations=organizations, **kwargs)
        blank = [BLANK]
        self.subprojects = {str(s.pk): s for s in subprojects}
        self.fields["subproject"].choices = blank + [
            (str(s.pk), f"{s.round.title} · {s.name}" if with_round else s.name) for s in subprojects
        ]
        if not with_round:
            self.fields["subproject"].label = _label(Application, "subproject")
        for name in TEXT_FIELDS:
            self.fields[name] = forms.CharField(label=_label(Application, name), required=False, strip=False)
        limits = {s.round.typed_settings.name_max_length for s in subprojects}
        if len(limits) == 1:
            self.fields["name"].help_text = gettext("不超过 %(n)s 个字") % {"n": limits.pop()}
        self.fields["leader_email"].widget = forms.EmailInput()
        for name in LONG_TEXT_FIELDS:
            self.fields[name] = forms.CharField(
                label=_label(Application, name), required=False, widget=forms.Textarea(attrs={"rows": 4})
            )
        for name in DATE_FIELDS:
            self.fields[name] = forms.CharField(
                label=_label(Application, name),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        self.fields["requested_amount"] = forms.CharField(
            label=_label(Application, "requested_amount"),
            required=False,
            help_text=_("单位：元，如 80000.00（即 8 万元）；须与预算明细合计一致，并在本批次资助额度之内"),
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        )
        self.fields["commitment"] = forms.BooleanField(label=COMMITMENT_TEXT, required=False)
        self.fields["commitment_signer"] = forms.CharField(
            label=_label(Application, "commitment_signer"), required=False
        )
        # Keep the printed order: unit and sub-project first, then the form.
        order = [n for n in ("organization", "subproject") if n in self.fields] + list(FORM_FIELDS)
        self.order_fields(order)

    def chosen_subproject(self) -> SubprojectType | None:
        return self.subprojects.get(self.cleaned_data.get("subproject") or "")

    def service_data(self) -> dict[str, Any]:
        """The fields in the shape of the API's request body (round and team added by the view)."""
        data: dict[str, Any] = {}
        for name in FORM_FIELDS:
            value = self.cleaned_data.get(name)
            if isinstance(value, str):
                value = value.strip()
            data[name] = value if value is not None else ""
        if self.cleaned_data.get("organization"):
            data["organization"] = self.cleaned_data["organization"]
        return data


class TeamRowForm(forms.Form):
    name = forms.CharField(label=_label(TeamMember, "name"), required=False)
    education = forms.CharField(label=_label(TeamMember, "education"), required=False)
    qualification = forms.CharField(label=_label(TeamMember, "qualification"), required=False)
    role = forms.CharField(label=_label(TeamMember, "role"), required=False)
    phone = forms.CharField(label=_label(TeamMember, "phone"), required=False)


class BudgetRowForm(forms.Form):
    category = forms.ChoiceField(
        label=_label(BudgetLine, "category"), required=False, choices=[BLANK, *BudgetCategory.choices]
    )
    item = forms.CharField(label=_label(BudgetLine, "item"), required=False)
    amount = forms.CharField(
        label=_label(BudgetLine, "amount"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    note = forms.CharField(label=_label(BudgetLine, "note"), required=False)


class ScheduleRowForm(forms.Form):
    when = forms.CharField(
        label=_("时间或时段"),
        required=False,
        widget=forms.TextInput(attrs={"list": "key-dates"}),
    )
    activity = forms.CharField(label=_("活动安排"), required=False)


class TargetRowForm(forms.Form):
    level2 = forms.ChoiceField(label=_("一级指标 · 二级指标"), required=False)
    name = forms.CharField(label=_("指标名称"), required=False)
    value = forms.CharField(label=_("指标值"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level2"].choices = [BLANK, *sections.level2_choices()]


class SectionForm(forms.Form):
    """The page's fields of one section kind (prefix ``section-<kind>`` or ``common``): what
    the user typed, sent to the service as the section's object (whose checks are the kind's)."""

    def __init__(self, *args: Any, kind: sections.SectionKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for f in kind.fields:
            help_text = f.help or ""
            if f.type == sections.LONG:
                field: forms.Field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
            elif f.type == sections.FLAG:
                field = forms.BooleanField()
            elif f.type == sections.CHOICES:
                field = forms.MultipleChoiceField(
                    choices=[(str(c), c) for c in f.choices], widget=forms.CheckboxSelectMultiple
                )
            elif f.type == sections.COUNT:
                field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "numeric"}))
            elif f.type == sections.AMOUNT:
                field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}))
                help_text = _("单位：元")
            else:
                field = forms.CharField()
            field.required = False
            field.label = f.label
            field.help_text = help_text
            self.fields[f.name] = field
            if f.other:
                self.fields[f.other_key] = forms.CharField(
                    label=gettext("%(label)s（其他）") % {"label": f.label}, required=False
                )

    @staticmethod
    def initial_of(kind: sections.SectionKind, values: dict[str, Any]) -> dict[str, Any]:
        return {key: values[key] for key in kind.keys() if key in values}

    def values(self) -> dict[str, Any]:
        """The raw values, as the API takes them (empty ones left out)."""
        data: dict[str, Any] = {}
        for name, field in self.fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                value: Any = self[name].value() or []
            elif isinstance(field, forms.BooleanField):
                value = bool(self[name].value())
                value = True if value else None
            else:
                value = str(self[name].value() or "").strip()
            if value not in (None, "", []):
                data[name] = value
        return data


def row_formset(form_class: type[forms.Form], *, rows: int, initial: list[dict[str, Any]] | None = None) -> type:
    """A formset with the existing rows plus blank ones up to ``rows`` (at least two blank)."""
    blank = max(2, rows - len(initial or []))
    return forms.formset_factory(form_class, extra=blank, max_num=MAX_ROWS, absolute_max=MAX_ROWS)


def filled_rows(formset: forms.BaseFormSet) -> list[dict[str, str]]:
    """The rows that hold anything, as dicts of stripped strings; blank rows are ignored."""
    rows = []
    for form in formset.forms:
        # The raw values: a formset skips cleaning an unchanged row, yet an unchanged row of an
        # existing application is still a row.
        row = {name: str(form[name].value() or "").strip() for name in form.fields}
        if any(row.values()):
            rows.append(row)
    return rows


class ProposeForm(forms.Form):
    funding_amount = forms.CharField(
        label=_("拟资助金额（元）"), widget=forms.TextInput(attrs={"inputmode": "decimal"}), required=False
    )
    opinion = forms.CharField(label=_("意见（必填）"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


def application_rounds() -> list[Round]:
    return list(Round.objects.filter(kind=RoundKind.APPLICATION).order_by("-year", "-pk"))

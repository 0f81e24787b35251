"""Input of rounds, sub-projects, round documents and units' internal deadlines.

``RoundInput``, ``SubprojectInput`` and ``DeadlineInput`` check every input (the services
validate with them, whatever the page or the API sent); ``RoundPageForm`` and
``SubprojectPageForm`` are the pages' forms, which collect typed fields — a round's settings
one field each instead of JSON — and hand the services the same dictionary the API takes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrgType
from applications.models import SubprojectType
from applications.sections import kind_choices
from workflows import inputs
from workflows.models import NoticeDayKind, Round, RoundDocumentKind, RoundKind
from workflows.round_settings import (
    CATEGORIES,
    OPTIONAL_INT_SETTINGS,
    ApplicationRoundSettings,
    RoundSettingsError,
    SelectionRoundSettings,
    parse_round_settings,
)

WINDOWS = ("submission_opens", "submission_closes", "recommender_review_due", "cast_review_due")
CONTACT_COLUMNS = {"name": 50, "purpose": 50, "phone": 30, "email": 254}
CATEGORY_LABELS = {
    "volunteer": gettext_lazy("十佳科技志愿者"),
    "team": gettext_lazy("十佳科技志愿服务队（组织）"),
    "project": gettext_lazy("十佳科技志愿服务项目"),
    "site": gettext_lazy("十佳科技志愿服务站点（社区/村）"),
}


def _label(name: str) -> Any:
    return Round._meta.get_field(name).verbose_name


class JsonObject(inputs.InputField):
    """A JSON object (the API's ``settings``); its content is checked by the form."""

    def to_python(self, value: Any) -> dict[str, Any]:
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise self.refuse(_("“%(label)s”必须是 JSON 对象"))
        return value


class RoundInput(inputs.InputForm):
    """A round: what it is, its windows, its notice period, its contacts and its settings
    (the typed settings of ``workflows.round_settings``, checked by the same parser)."""

    kind = inputs.Choice(label=_label("kind"), values=list(RoundKind.values), message=gettext_lazy("请选择批次类型"))
    year = inputs.Count(label=_label("year"), maximum=2100)
    title = inputs.Text(label=_label("title"), max_length=200)
    submission_opens = inputs.Moment(label=_label("submission_opens"))
    submission_closes = inputs.Moment(label=_label("submission_closes"))
    recommender_review_due = inputs.Moment(label=_label("recommender_review_due"))
    cast_review_due = inputs.Moment(label=_label("cast_review_due"))
    notice_working_days = inputs.Count(label=_label("notice_working_days"), maximum=1000)
    notice_day_kind = inputs.Choice(
        label=_label("notice_day_kind"), values=list(NoticeDayKind.values), message=gettext_lazy("请选择公示期计算方式")
    )
    contacts = inputs.Rows(label=_label("contacts"), columns=CONTACT_COLUMNS, first_label=gettext_lazy("姓名"))
    settings = JsonObject(label=_label("settings"))

    def __init__(self, data: Any, *, instance: Round | None = None, **kwargs: Any) -> None:
        # A change (instance given) checks only what it names, against what the round has.
        super().__init__(data, partial=instance is not None, **kwargs)
        self.instance = instance

    def value(self, name: str) -> Any:
        """The field's new value if given and valid, else the round's."""
        if name in self.fields:
            return self.cleaned_data.get(name)
        return getattr(self.instance, name, None) if self.instance is not None else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        problems: list[str] = []
        if self.instance is None:
            missing = [n for n in ("kind", "year", "title", *WINDOWS) if not self.raw.get(n)]
            problems.extend(_("请填写“%(label)s”") % {"label": self.base_fields[n].label} for n in missing)
        elif "kind" in self.fields and self.cleaned_data.get("kind") not in (None, "", self.instance.kind):
            problems.append(_("批次类型创建后不能更改"))
        year = self.value("year")
        if year is not None and not 2000 <= year <= 2100:
            problems.append(_("“年度”必须在 2000 到 2100 之间"))
        if self.instance is not None and "title" in self.fields and not self.value("title"):
            problems.append(_("请填写“%(label)s”") % {"label": self.base_fields["title"].label})
        opens, closes, review, cast = (self.value(n) for n in WINDOWS)
        if opens and closes and opens >= closes:
            problems.append(_("申报截止时间必须晚于开始时间"))
        if closes and review and review < closes:
            problems.append(_("推荐单位审核截止不得早于申报截止"))
        if review and cast and cast < review:
            problems.append(_("中国科协审核截止不得早于推荐单位审核截止"))
        days = self.value("notice_working_days")
        if days is not None and not 1 <= days <= 30:
            problems.append(_("公示期应为 1 至 30 天"))
        kind = self.value("kind") or (self.instance.kind if self.instance else "")
        if "settings" in self.fields and kind in RoundKind.values:
            try:
                parse_round_settings(kind, data.get("settings") or {})
            except RoundSettingsError as exc:
                problems.extend(exc.messages)
        if problems:
            raise forms.ValidationError(problems)
        return data


def _org_types() -> list[str]:
    return list(OrgType.values)


class OrgTypes(inputs.InputField):
    """A list of organization types (``OrgType``); empty: any type may apply."""

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or any(v not in OrgType.values for v in value):
            raise self.refuse(_("“%(label)s”只能是以下类型：%(types)s"), types=", ".join(OrgType.values))
        return list(dict.fromkeys(value))


def _sub_label(name: str) -> Any:
    return SubprojectType._meta.get_field(name).verbose_name


class SubprojectInput(inputs.InputForm):
    code = inputs.Text(label=_sub_label("code"), max_length=40)
    name = inputs.Text(label=_sub_label("name"), max_length=100)
    description = inputs.Text(label=_sub_label("description"), max_length=5000)
    eligible_org_types = OrgTypes(label=_sub_label("eligible_org_types"))
    pilot_only = inputs.Flag(label=_sub_label("pilot_only"))
    per_unit_limit = inputs.Count(label=_sub_label("per_unit_limit"), maximum=100)
    quota = inputs.Count(label=_sub_label("quota"), maximum=1000)
    envelope_yuan = inputs.Amount(label=_sub_label("envelope_yuan"))
    # The section of its own its applications fill (applications.sections.KINDS).
    section_kind = inputs.Choice(
        label=_sub_label("section_kind"),
        values=lambda: [code for code, _label in kind_choices()],
        message=gettext_lazy("“本子项目专门内容”不是已定义的内容类型"),
    )
    position = inputs.Count(label=_sub_label("position"), maximum=1000)

    def __init__(self, data: Any, *, instance: SubprojectType | None = None, **kwargs: Any) -> None:
        super().__init__(data, partial=instance is not None, **kwargs)
        self.instance = instance

    def clean(self) -> dict[str, Any]:
        import re

        data = super().clean()
        problems: list[str] = []
        for name in ("code", "name"):
            given = name in self.fields
            if (self.instance is None or given) and not data.get(name) and name not in self.errors:
                problems.append(_("请填写“%(label)s”") % {"label": self.base_fields[name].label})
        code = data.get("code")
        if code and not re.fullmatch(r"[a-z0-9_-]+", code):
            problems.append(_("“代码”只能包含小写字母、数字、“-”和“_”"))
        if "per_unit_limit" in self.fields and data.get("per_unit_limit") == 0:
            problems.append(_("“每单位限报数”至少为 1"))
        if "quota" in self.fields and data.get("quota") == 0:
            problems.append(_("“推荐名额”至少为 1（不填则用批次的推荐名额）"))
        if problems:
            raise forms.ValidationError(problems)
        return data


class DeadlineInput(inputs.InputForm):
    closes_at = inputs.Moment(label=gettext_lazy("内部申报截止"))

    def __init__(self, data: Any, *, round_: Round, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.round = round_

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        closes = data.get("closes_at")
        if "closes_at" not in self.errors:
            if closes is None:
                raise forms.ValidationError(_("请填写“内部申报截止”"))
            if closes > self.round.submission_closes:
                raise forms.ValidationError(
                    _("内部申报截止不得晚于本批次申报截止（%(when)s）")
                    % {"when": timezone.localtime(self.round.submission_closes).strftime("%Y-%m-%d %H:%M")}
                )
            if closes <= self.round.submission_opens:
                raise forms.ValidationError(_("内部申报截止必须晚于本批次申报开始"))
        return data


class DocumentInput(inputs.InputForm):
    kind = inputs.Choice(
        label=gettext_lazy("文件类型"), values=list(RoundDocumentKind.values), message=gettext_lazy("请选择文件类型")
    )
    title = inputs.Text(label=gettext_lazy("标题"), max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        problems = []
        if not data.get("kind") and "kind" not in self.errors:
            problems.append(_("请选择文件类型"))
        if not data.get("title") and "title" not in self.errors:
            problems.append(_("请填写“标题”"))
        if problems:
            raise forms.ValidationError(problems)
        return data


# -- the pages' forms ---------------------------------------------------------------------------

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CRITERIA_HELP = gettext_lazy("每行一个评分指标：代码,名称,权重（如 necessity,必要性,25），权重之和为 100。")
CONTACT_ROWS = 3


def _criteria_text(criteria: list[Any]) -> str:
    return "\n".join(f"{c.key},{c.label},{c.weight}" for c in criteria)


def _criteria_from_text(text: str) -> Any:
    """Lines "key,label,weight" as the settings' list; a line that does not split in three is
    passed on as it is, for the settings' parser to name it."""
    rows: list[Any] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 3:
            rows.append(line.strip())
            continue
        weight: Any = parts[2]
        if weight.isdigit():
            weight = int(weight)
        rows.append({"key": parts[0], "label": parts[1], "weight": weight})
    return rows


def _given(raw: Any, name: str, default: Any) -> Any:
    """The posted number (or text, for the input form to refuse), ``default`` when empty."""
    value = (raw.get(name, "") or "").strip()
    return _int_or_text(value) if value else default


def _int_or_text(value: str) -> Any:
    value = (value or "").strip()
    return int(value) if value.isdigit() else value


class RoundPageForm(forms.Form):
    """The round's page form: typed fields, a settings field each; ``service_data()`` is the
    dictionary the API would send. Only what the form shows is sent when changing a round."""

    title = forms.CharField(label=_label("title"), required=False)
    year = forms.CharField(label=_label("year"), required=False, widget=forms.NumberInput())
    submission_opens = forms.CharField(label=_label("submission_opens"), required=False, widget=DATETIME)
    submission_closes = forms.CharField(label=_label("submission_closes"), required=False, widget=DATETIME)
    recommender_review_due = forms.CharField(label=_label("recommender_review_due"), required=False, widget=DATETIME)
    cast_review_due = forms.CharField(label=_label("cast_review_due"), required=False, widget=DATETIME)
    notice_working_days = forms.CharField(
        label=_label("notice_working_days"), required=False, widget=forms.NumberInput()
    )
    notice_day_kind = forms.ChoiceField(label=_label("notice_day_kind"), choices=NoticeDayKind.choices, required=False)

    def __init__(self, *args: Any, kind: str, with_kind: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round_kind = kind
        if with_kind:
            # Chosen before the form (its settings differ by kind): sent along, not changed here.
            self.fields["kind"] = forms.ChoiceField(
                label=_label("kind"), choices=RoundKind.choices, widget=forms.HiddenInput()
            )
        defaults = ApplicationRoundSettings() if kind == RoundKind.APPLICATION else SelectionRoundSettings()
        self.setting_names: list[str] = []
        for f in dataclasses.fields(defaults):
            value = getattr(defaults, f.name)
            if isinstance(value, int) or f.name in OPTIONAL_INT_SETTINGS:
                self.fields[f"s_{f.name}"] = forms.CharField(
                    label=SETTING_LABELS.get(f.name, f.name), required=False, widget=forms.NumberInput()
                )
                self.setting_names.append(f.name)
        if kind == RoundKind.APPLICATION:
            self.fields["s_criteria"] = forms.CharField(
                label=gettext_lazy("评分指标"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 6}),
                help_text=CRITERIA_HELP,
            )
        else:
            for cat in CATEGORIES:
                self.fields[f"s_winners_{cat}"] = forms.CharField(
                    label=_("%(category)s入选名额") % {"category": CATEGORY_LABELS[cat]},
                    required=False,
                    widget=forms.NumberInput(),
                )
                for rule in dataclasses.asdict(defaults)["thresholds"][cat]:
                    self.fields[f"s_threshold_{cat}_{rule}"] = forms.CharField(
                        label=_("%(category)s：%(rule)s")
                        % {"category": CATEGORY_LABELS[cat], "rule": RULE_LABELS.get(rule, rule)},
                        required=False,
                        widget=forms.NumberInput(),
                    )
                self.fields[f"s_criteria_{cat}"] = forms.CharField(
                    label=_("%(category)s评分指标") % {"category": CATEGORY_LABELS[cat]},
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 5}),
                    help_text=CRITERIA_HELP,
                )
        for i in range(CONTACT_ROWS):
            for column in CONTACT_COLUMNS:
                self.fields[f"contact_{i}_{column}"] = forms.CharField(
                    label=CONTACT_LABELS[column],
                    required=False,
                    widget=forms.EmailInput() if column == "email" else None,
                )

    @staticmethod
    def defaults_of(kind: str) -> dict[str, Any]:
        """A new round's initial values: the defaults of its kind's settings."""
        probe = Round(kind=kind, settings={})
        initial = {k: v for k, v in RoundPageForm._settings_initial(probe).items()}
        return {"kind": kind, "notice_working_days": 5, "notice_day_kind": "working", **initial}

    @staticmethod
    def _settings_initial(round_: Round) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        typed = round_.typed_settings
        for f in dataclasses.fields(typed):
            value = getattr(typed, f.name)
            if isinstance(value, int):
                initial[f"s_{f.name}"] = value
        if round_.kind == RoundKind.APPLICATION:
            initial["s_criteria"] = _criteria_text(typed.criteria)
        else:
            for cat in CATEGORIES:
                initial[f"s_winners_{cat}"] = typed.winners_per_category.get(cat)
                for rule, n in typed.thresholds.get(cat, {}).items():
                    initial[f"s_threshold_{cat}_{rule}"] = n
                initial[f"s_criteria_{cat}"] = _criteria_text(typed.criteria.get(cat, []))
        return initial

    @classmethod
    def initial_of(cls, round_: Round) -> dict[str, Any]:
        """The page's initial values for an existing round (or a copy's source)."""
        initial: dict[str, Any] = {
            "title": round_.title,
            "year": round_.year,
            "notice_working_days": round_.notice_working_days,
            "notice_day_kind": round_.notice_day_kind,
        }
        for name in WINDOWS:
            initial[name] = timezone.localtime(getattr(round_, name)).strftime("%Y-%m-%dT%H:%M")
        initial.update(cls._settings_initial(round_))
        for i, contact in enumerate((round_.contacts or [])[:CONTACT_ROWS]):
            for column in CONTACT_COLUMNS:
                initial[f"contact_{i}_{column}"] = contact.get(column, "")
        return initial

    def service_data(self) -> dict[str, Any]:
        raw = self.data
        data: dict[str, Any] = {}
        if "kind" in self.fields:
            data["kind"] = raw.get("kind", "")
        for name in ("title", "year", *WINDOWS, "notice_working_days", "notice_day_kind"):
            data[name] = raw.get(name, "")
        data["year"] = _int_or_text(data["year"])
        data["notice_working_days"] = _int_or_text(data["notice_working_days"])
        # A round stores only what differs from the defaults: a setting left at (or put back
        # to) its default follows the default.
        defaults = dataclasses.asdict(
            ApplicationRoundSettings() if self.round_kind == RoundKind.APPLICATION else SelectionRoundSettings()
        )
        settings: dict[str, Any] = {}
        for name in self.setting_names:
            given = raw.get(f"s_{name}", "")
            if str(given).strip() and _int_or_text(given) != defaults[name]:
                settings[name] = _int_or_text(given)
        if self.round_kind == RoundKind.APPLICATION:
            criteria = _criteria_from_text(raw.get("s_criteria", ""))
            if criteria and criteria != defaults["criteria"]:
                settings["criteria"] = criteria
        else:
            winners = {cat: _int_or_text(raw.get(f"s_winners_{cat}", "")) for cat in CATEGORIES}
            winners = {k: v for k, v in winners.items() if v != "" and v != defaults["winners_per_category"][k]}
            if winners:
                settings["winners_per_category"] = winners
            thresholds: dict[str, dict[str, Any]] = {}
            for name in self.fields:
                if name.startswith("s_threshold_"):
                    cat, rule = name.removeprefix("s_threshold_").split("_", 1)
                    given = raw.get(name, "")
                    if str(given).strip() and _int_or_text(given) != defaults["thresholds"][cat][rule]:
                        thresholds.setdefault(cat, {})[rule] = _int_or_text(given)
            if thresholds:
                settings["thresholds"] = thresholds
            criteria = {
                cat: rows
                for cat in CATEGORIES
                if (rows := _criteria_from_text(raw.get(f"s_criteria_{cat}", ""))) and rows != defaults["criteria"][cat]
            }
            if criteria:
                settings["criteria"] = criteria
        data["settings"] = settings
        data["contacts"] = [
            {column: raw.get(f"contact_{i}_{column}", "").strip() for column in CONTACT_COLUMNS}
            for i in range(CONTACT_ROWS)
            if any(raw.get(f"contact_{i}_{column}", "").strip() for column in CONTACT_COLUMNS)
        ]
        return data

    def changed_from(self, round_: Round) -> dict[str, Any]:
        """``service_data()`` less the windows the page shows unchanged (to the minute: the
        page's inputs have no seconds)."""
        data = self.service_data()
        for name in WINDOWS:
            shown = timezone.localtime(getattr(round_, name)).strftime("%Y-%m-%dT%H:%M")
            if data.get(name) == shown:
                data.pop(name)
        return data

    def contact_rows(self) -> list[list[Any]]:
        return [[self[f"contact_{i}_{column}"] for column in CONTACT_COLUMNS] for i in range(CONTACT_ROWS)]

    def setting_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("s_")]


SETTING_LABELS = {
    "name_max_length": gettext_lazy("项目名称字数上限"),
    "attachment_max_mb": gettext_lazy("附件大小上限（MB）"),
    "recommender_quota": gettext_lazy("每个推荐单位每个子项目的推荐名额（子项目未设时；不填：不限名额）"),
    "per_unit_limit": gettext_lazy("限项：每个单位每个子项目限报数（子项目未设时）"),
    "min_experts": gettext_lazy("每条记录至少评审专家数"),
    "funding_min_yuan": gettext_lazy("资助额度下限（元）"),
    "funding_max_yuan": gettext_lazy("资助额度上限（元）"),
    "quota_per_category": gettext_lazy("每个推荐单位每类推荐名额"),
    "past_winner_years": gettext_lazy("往届入选者不得再次推荐的年数"),
}
RULE_LABELS = {
    "min_activities": gettext_lazy("服务次数下限"),
    "min_hours": gettext_lazy("服务时长下限（小时）"),
    "min_registered_volunteers": gettext_lazy("注册志愿者人数下限"),
    "min_hours_per_person": gettext_lazy("人均服务时长下限（小时）"),
}
CONTACT_LABELS = {
    "name": gettext_lazy("联系人"),
    "purpose": gettext_lazy("负责事项"),
    "phone": gettext_lazy("电话"),
    "email": gettext_lazy("电子邮箱"),
}


class SubprojectPageForm(forms.Form):
    code = forms.CharField(label=_sub_label("code"), required=False)
    name = forms.CharField(label=_sub_label("name"), required=False)
    description = forms.CharField(
        label=_sub_label("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    eligible_org_types = forms.MultipleChoiceField(
        label=_sub_label("eligible_org_types"),
        required=False,
        choices=OrgType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("都不选：任何类型的单位都可申报"),
    )
    pilot_only = forms.BooleanField(label=_sub_label("pilot_only"), required=False)
    per_unit_limit = forms.CharField(
        label=_sub_label("per_unit_limit"),
        required=False,
        widget=forms.NumberInput(),
        help_text=gettext_lazy("不填：用批次设置的限项数"),
    )
    quota = forms.CharField(
        label=_sub_label("quota"),
        required=False,
        widget=forms.NumberInput(),
        help_text=gettext_lazy("不填：用批次设置的推荐名额"),
    )
    envelope_yuan = forms.CharField(label=_sub_label("envelope_yuan"), required=False)
    section_kind = forms.ChoiceField(
        label=_sub_label("section_kind"),
        required=False,
        choices=kind_choices,
        help_text=gettext_lazy("申报书中本子项目专门填写的内容（在代码中定义，applications/sections.py）"),
    )
    position = forms.CharField(label=_sub_label("position"), required=False, widget=forms.NumberInput())

    @staticmethod
    def initial_of(sub: SubprojectType) -> dict[str, Any]:
        return {
            "code": sub.code,
            "name": sub.name,
            "description": sub.description,
            "eligible_org_types": list(sub.eligible_org_types or []),
            "pilot_only": sub.pilot_only,
            "per_unit_limit": sub.per_unit_limit if sub.per_unit_limit is not None else "",
            "quota": sub.quota if sub.quota is not None else "",
            "envelope_yuan": sub.envelope_yuan if sub.envelope_yuan is not None else "",
            "section_kind": sub.section_kind,
            "position": sub.position,
        }

    def service_data(self) -> dict[str, Any]:
        raw = self.data
        return {
            "code": raw.get("code", ""),
            "name": raw.get("name", ""),
            "description": raw.get("description", ""),
            "eligible_org_types": raw.getlist("eligible_org_types") if hasattr(raw, "getlist") else [],
            "pilot_only": raw.get("pilot_only") == "on",
            "per_unit_limit": _given(raw, "per_unit_limit", None),
            "quota": _given(raw, "quota", None),
            "envelope_yuan": raw.get("envelope_yuan", "").strip() or None,
            "section_kind": raw.get("section_kind", ""),
            "position": _given(raw, "position", 0),
        }

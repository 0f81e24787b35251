"""What a nomination needs to be submitted, and the eligibility thresholds report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEEDS_MAX = 2000
PHOTOS_MIN, PHOTOS_MAX = 3, 5

REQUIRED_BY_CATEGORY = {
    "volunteer": ("nominee_name", "gender", "birth_date", "person_org", "person_title", "volunteer_number"),
    "team": ("nominee_name", "founded_on", "registered_volunteers"),
    "project": ("nominee_name", "period_start", "period_end", "organizer"),
    "site": ("nominee_name", "site_region", "site_kind"),
}
REQUIRED_ALWAYS = (
    "activities",
    "service_hours",
    "deeds",
    "contact_name",
    "contact_phone",
    "unit_opinion",
    "unit_opinion_signer",
    "unit_opinion_date",
)


def completeness_problems(record: Any) -> list[str]:
    from workflows.models import Attachment

    problems: list[str] = []
    for name in (*REQUIRED_BY_CATEGORY.get(record.category, ()), *REQUIRED_ALWAYS):
        value = getattr(record, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(_("请填写“%(field)s”") % {"field": record._meta.get_field(name).verbose_name})
    if len(record.deeds or "") > DEEDS_MAX:
        problems.append(_("主要事迹不得超过 %(n)s 字（现为 %(m)s 字）") % {"n": DEEDS_MAX, "m": len(record.deeds)})
    if record.category == "project" and record.period_start and record.period_end:
        if record.period_end < record.period_start:
            problems.append(_("项目结束日期不能早于开始日期"))
    kinds = list(
        Attachment.objects.filter(record_type=record.record_type(), record_id=record.pk).values_list("kind", flat=True)
    )
    photos = kinds.count("photo")
    if not PHOTOS_MIN <= photos <= PHOTOS_MAX:
        problems.append(
            _("工作照片须 %(min)s–%(max)s 张（现为 %(n)s 张）") % {"min": PHOTOS_MIN, "max": PHOTOS_MAX, "n": photos}
        )
    if record.category == "volunteer" and kinds.count("id_photo") != 1:
        problems.append(_("请上传一张二寸证件照"))
    if "unit_opinion" not in kinds:
        problems.append(_("请上传申报单位盖章意见（PDF）"))
    return problems


RULE_LABELS = {
    "registered": gettext_lazy("已在科技志愿服务平台注册"),
    "min_activities": gettext_lazy("开展服务活动不少于 %(n)s 次"),
    "min_hours": gettext_lazy("服务时长不少于 %(n)s 小时"),
    "min_registered_volunteers": gettext_lazy("注册志愿者不少于 %(n)s 人"),
    "min_hours_per_person": gettext_lazy("人均服务时长不少于 %(n)s 小时"),
    "past_winner": gettext_lazy("近 %(n)s 年未获评同类称号"),
}


def eligibility_report(record: Any) -> list[dict[str, Any]]:
    """Each eligibility rule of the record's category with its required and actual values
    and whether it passed (the decision stays with CAST staff)."""
    settings = record.round.typed_settings
    rules = settings.thresholds.get(record.category, {})
    hours = record.service_hours if record.service_hours is not None else Decimal(0)
    activities = record.activities or 0
    rows: list[dict[str, Any]] = []

    def add(rule: str, required: Any, actual: Any, passed: bool) -> None:
        rows.append(
            {
                "rule": rule,
                "label": str(RULE_LABELS[rule]) % {"n": required},
                "required": required,
                "actual": actual,
                "passed": passed,
            }
        )

    if record.category == "volunteer":
        add("registered", "✓", record.volunteer_number or "—", bool(record.volunteer_number))
    if "min_registered_volunteers" in rules:
        n = record.registered_volunteers or 0
        add("min_registered_volunteers", rules["min_registered_volunteers"], n, n >= rules["min_registered_volunteers"])
    if "min_activities" in rules:
        add("min_activities", rules["min_activities"], activities, activities >= rules["min_activities"])
    if "min_hours_per_person" in rules:
        people = record.registered_volunteers or 0
        per_person = (hours / people).quantize(Decimal("0.1")) if people else Decimal(0)
        add(
            "min_hours_per_person",
            rules["min_hours_per_person"],
            per_person,
            per_person >= rules["min_hours_per_person"],
        )
    if "min_hours" in rules:
        add("min_hours", rules["min_hours"], hours, hours >= rules["min_hours"])
    years = settings.past_winner_years
    if years:
        past = past_wins(record, years)
        add("past_winner", years, "、".join(past) or "—", not past)
    return rows


def past_wins(record: Any, years: int) -> list[str]:
    """Rounds of the last ``years`` years in which the same nominee won the same category."""
    name = "".join((record.nominee_name or "").split())
    return [
        str(title)
        for title in type(record)
        .objects.filter(
            category=record.category,
            nominee_name=name,
            state="awarded",
            round__year__gte=record.round.year - years,
            round__year__lt=record.round.year,
        )
        .values_list("round__title", flat=True)
    ]

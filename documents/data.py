"""From records to the renderers' plain dataclasses (``documents.renderer``).

The records handed in here were read through the selectors by the caller (``services``),
so these functions only gather and format; they never widen what the user may see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import permissions as perms
from accounts.models import Organization, OrgType, Role
from workflows.models import AuditEvent, Checkpoint, CheckpointStage, Revision, Verdict

from .models import IssuedDocument
from .renderer.application_form import ApplicationFormData, BudgetRow, OpinionRow, ReviewRow, TargetRow, TeamRow
from .renderer.approval_notice import ApprovalNoticeData
from .renderer.base import Verification, cn_date, wan
from .renderer.certificate import CertificateData
from .renderer.nomination_form import NominationFormData, OpinionBlock
from .renderer.table_document import Column, TableDocumentData


def verify_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("documents-public:verify", args=[code])


def verification(document: IssuedDocument, note: str = "") -> Verification:
    return Verification(code=document.code, url=verify_url(document.code), note=note)


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _org_names(codes: set[str]) -> dict[str, str]:
    return dict(Organization.objects.filter(code__in=codes).values_list("code", "name"))


def cast_name() -> str:
    root = Organization.objects.filter(type=OrgType.CAST, parent__isnull=True).order_by("pk").first()
    return root.name if root else _("中国科协")


# -- the units named -------------------------------------------------------------------------


def undertaking(record: Any) -> tuple[str, str]:
    """(承担单位, 具体实施部门) of a record: the legal person named on every document (its
    organization, or a branch's nearest legal-person ancestor) and, when the applicant is not
    itself a legal person, the applicant as the department that carries the project out."""
    org = record.organization
    entity = org.legal_entity()
    return entity.name, ("" if entity.pk == org.pk else org.name)


def undertaking_text(record: Any) -> str:
    """The 承担单位 in one cell of a list: "中国水产学会（具体实施部门：科普工作委员会）"."""
    entity, department = undertaking(record)
    if not department:
        return entity
    return _("%(entity)s（具体实施部门：%(department)s）") % {"entity": entity, "department": department}


# -- the application form --------------------------------------------------------------------


def application_form_data(
    application: Any, *, content: dict[str, Any], revision: Revision | None, document: IssuedDocument
) -> ApplicationFormData:
    """The form of ``content``: a revision's snapshot, or the live content of a draft
    (``revision`` None). Opinions and verdicts are those given on that revision."""
    flow = application.flow_class
    subprojects = {s.code: s.name for s in application.round.subprojects.all()}
    opinions: tuple[OpinionRow, ...] = ()
    reviews: tuple[ReviewRow, ...] = ()
    if revision is not None:
        label = _("第 %(n)s 版") % {"n": revision.number}
        commitment_date = _date(revision.created_at)
        opinions = tuple(opinions_on(application, revision.content_hash))
        reviews = tuple(reviews_on(application, revision.content_hash))
        digest = revision.content_hash
    else:
        label = _("修改稿（未提交）") if application.current_revision_hash else _("草稿（未提交）")
        commitment_date = None
        digest = document.key
    region = " ".join(
        part for part in (content.get(k) or "" for k in ("region_province", "region_city", "region_county")) if part
    )
    from applications import sections
    from applications.models import BudgetCategory

    kind = sections.kind_of(content.get("section_kind", application.subproject.section_kind))
    categories = dict(BudgetCategory.choices)
    entity, department = undertaking(application)
    return ApplicationFormData(
        round_title=application.round.title,
        subproject=subprojects.get(content.get("subproject") or "", application.subproject.name),
        name=content.get("name") or "",
        organization=entity,
        department=department,
        recommending_unit=application.recommending_unit.name if application.recommending_unit else "",
        leader_name=content.get("leader_name") or "",
        leader_title=content.get("leader_title") or "",
        leader_phone=content.get("leader_phone") or "",
        leader_mobile=content.get("leader_mobile") or "",
        leader_email=content.get("leader_email") or "",
        region=region,
        pilot_county=bool(content.get("pilot_county")),
        target_groups=content.get("target_groups") or "",
        period_start=_date(content.get("period_start")),
        period_end=_date(content.get("period_end")),
        basis=content.get("basis") or "",
        content=content.get("content") or "",
        targets=content.get("targets") or "",
        outcomes=content.get("outcomes") or "",
        conditions=content.get("conditions") or "",
        requested_amount=_decimal(content.get("requested_amount")),
        commitment=bool(content.get("commitment")),
        commitment_signer=content.get("commitment_signer") or "",
        commitment_date=commitment_date,
        revision_label=label,
        state_label=flow.state_label(application.state),
        verification=verification(document, _("%(label)s · 内容哈希 %(hash)s") % {"label": label, "hash": digest[:16]}),
        team=tuple(
            TeamRow(
                name=m.get("name", ""),
                education=m.get("education", ""),
                qualification=m.get("qualification", ""),
                role=m.get("role", ""),
                phone=m.get("phone", ""),
            )
            for m in content.get("team") or []
        ),
        budget=tuple(
            BudgetRow(
                item=b.get("item", ""),
                amount=Decimal(str(b.get("amount") or "0")),
                note=b.get("note", ""),
                category=str(categories.get(b.get("category") or "", "")),
            )
            for b in content.get("budget") or []
        ),
        section_title=str(kind.label) if kind.fields else "",
        section=tuple(kind.display(content.get("section") or {})),
        common=tuple(sections.COMMON.display(content.get("common") or {})),
        schedule=tuple((row.get("when", ""), row.get("activity", "")) for row in content.get("schedule") or []),
        performance=tuple(
            TargetRow(*sections.target_label(row), name=row.get("name", ""), value=row.get("value", ""))
            for row in content.get("performance") or []
        ),
        opinions=opinions,
        reviews=reviews,
    )


def opinions_on(record: Any, revision_hash: str) -> list[OpinionRow]:
    """Each level's written opinion on this revision: transitions only (an expert's score
    comment is for CAST staff, not for the form)."""
    transitions = set(record.flow_class.all_transitions())
    events = list(
        AuditEvent.objects.filter(
            record_type=record.record_type(),
            record_id=record.pk,
            revision_hash=revision_hash,
            action__in=transitions,
        )
        .exclude(opinion="")
        .order_by("record_seq")
    )
    names = _org_names({e.actor_org for e in events if e.actor_org})
    roles = dict(Role.choices)
    rows = []
    for event in events:
        unit = names.get(event.actor_org, event.actor_org)
        role = str(roles.get(event.actor_role, event.actor_role))
        rows.append(
            OpinionRow(
                level=f"{unit}（{role}）" if role else unit,
                action=_action_label(record, event.action),
                text=event.opinion,
                signer=event.actor_name,
                date=_date(event.created_at),
            )
        )
    return rows


def _action_label(record: Any, action: str) -> str:
    from workflows.flows import action_label

    return action_label(record.flow_class, action)


def reviews_on(record: Any, revision_hash: str) -> list[ReviewRow]:
    """The content-review verdicts given on this revision."""
    rows = (
        Checkpoint.objects.filter(record_type=record.record_type(), record_id=record.pk, revision_hash=revision_hash)
        .select_related("reviewer", "organization")
        .order_by("created_at", "pk")
    )
    return [
        ReviewRow(
            stage=str(CheckpointStage(c.stage).label) if c.stage in CheckpointStage.values else c.stage,
            verdict=str(Verdict(c.verdict).label) if c.verdict in Verdict.values else c.verdict,
            reviewer=perms.user_label(c.reviewer) if c.reviewer else _("系统自动扫描"),
            organization=c.organization.name if c.organization else "",
            opinion=c.opinion,
            date=_date(c.created_at),
        )
        for c in rows
    ]


# -- the approval notice ---------------------------------------------------------------------


def issuer_of(record: Any, action: str = "issue") -> str:
    """The unit that issued the document: that of the ``action`` event (``issue`` for an
    approval, ``award`` for a certificate), else CAST."""
    event = (
        AuditEvent.objects.filter(record_type=record.record_type(), record_id=record.pk, action=action)
        .order_by("-record_seq")
        .first()
    )
    if event is not None and event.actor_org:
        name = _org_names({event.actor_org}).get(event.actor_org)
        if name:
            return name
    return cast_name()


def approval_notice_data(application: Any, *, document: IssuedDocument) -> ApprovalNoticeData:
    entity, department = undertaking(application)
    return ApprovalNoticeData(
        number=application.approval_number or "",
        organization=entity,
        department=department,
        name=application.name,
        subproject=application.subproject.name,
        round_title=application.round.title,
        leader_name=application.leader_name,
        funding_amount=application.funding_amount,
        period_start=application.period_start,
        period_end=application.period_end,
        issuer=issuer_of(application),
        issued_on=document.issued_on,
        verification=verification(document),
    )


# -- lists and histories ---------------------------------------------------------------------

RESULT_COLUMNS = (
    Column(gettext_lazy("序号"), 0.07, "CENTER"),
    Column(gettext_lazy("立项编号"), 0.20),
    Column(gettext_lazy("项目名称"), 0.25),
    Column(gettext_lazy("承担单位"), 0.22),
    Column(gettext_lazy("子项目"), 0.14),
    Column(gettext_lazy("资助金额（万元）"), 0.12, "RIGHT"),
)


def result_list_rows(applications: list[Any]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            str(position),
            a.approval_number or "",
            a.name,
            undertaking_text(a),
            a.subproject.name,
            wan(a.funding_amount),
        )
        for position, a in enumerate(applications, start=1)
    )


def result_list_data(round_: Any, applications: list[Any], *, document: IssuedDocument) -> TableDocumentData:
    total = sum((a.funding_amount or Decimal("0") for a in applications), Decimal("0"))
    return TableDocumentData(
        title=document.title,
        columns=tuple(Column(str(c.title), c.share, c.align) for c in RESULT_COLUMNS),
        rows=result_list_rows(applications),
        totals=("", "", _("合计 %(n)s 项") % {"n": len(applications)}, "", "", wan(total)) if applications else None,
        verification=verification(document),
        empty_text=_("本批次尚无立项项目。"),
        closing=(cast_name(), cn_date(document.issued_on)),
    )


def accepting_lines(notice: Any) -> tuple[str, ...]:
    """The 受理 paragraph every real 公示 ends with: how to object, and to whom."""
    lines = [
        _(
            "公示期内，对公示名单有异议的，请以真实姓名书面向受理单位提出，写明联系电话；"
            "可通过网上提交、来信、传真或电子邮件反映。匿名异议不予受理。"
        )
    ]
    for label, value in (
        (_("受理单位"), notice.accepting_unit),
        (_("联系人"), notice.contact_person),
        (_("联系电话"), notice.contact_phone),
        (_("通讯地址"), notice.contact_address),
        (_("电子邮箱"), notice.contact_email),
    ):
        if value:
            lines.append(_("%(label)s：%(value)s") % {"label": label, "value": value})
    return tuple(lines)


def notice_list_data(notice: Any, entries: list[dict[str, Any]], *, document: IssuedDocument) -> TableDocumentData:
    subtitle = ()
    if notice.starts_on and notice.ends_on:
        dates = {"start": cn_date(notice.starts_on), "end": cn_date(notice.ends_on)}
        subtitle = (_("公示期：%(start)s至%(end)s") % dates,)
    return TableDocumentData(
        title=notice.title,
        subtitle=subtitle,
        intro=notice.intro,
        columns=(Column(_("序号"), 0.08, "CENTER"), Column(_("名称"), 0.37), Column(_("单位及说明"), 0.55)),
        rows=tuple((str(e["position"]), e["title"], e["summary"]) for e in entries),
        verification=verification(document),
        empty_text=_("（名单为空）"),
        after_lines=accepting_lines(notice),
        closing=(cast_name(), cn_date(document.issued_on)),
    )


HISTORY_COLUMNS = (
    Column(gettext_lazy("序号"), 0.06, "CENTER"),
    Column(gettext_lazy("时间"), 0.13),
    Column(gettext_lazy("操作"), 0.12),
    Column(gettext_lazy("状态变化"), 0.16),
    Column(gettext_lazy("操作人"), 0.10),
    Column(gettext_lazy("单位（角色）"), 0.15),
    Column(gettext_lazy("意见"), 0.16),
    Column(gettext_lazy("哈希（前 12 位）"), 0.12),
)


def audit_history_data(record: Any, entries: list[dict[str, Any]], *, document: IssuedDocument) -> TableDocumentData:
    names = _org_names({e["event"].actor_org for e in entries if e["event"].actor_org})
    roles = dict(Role.choices)
    rows = []
    for entry in entries:
        event = entry["event"]
        change = ""
        if entry["from_label"] or entry["to_label"]:
            change = f"{entry['from_label']} → {entry['to_label']}"
        action = entry["action_label"]
        if entry["stage_label"]:
            action = f"{action}（{entry['stage_label']}）"
        unit = names.get(event.actor_org, event.actor_org)
        role = str(roles.get(event.actor_role, event.actor_role))
        rows.append(
            (
                str(event.record_seq),
                timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                action,
                change,
                event.actor_name,
                f"{unit}（{role}）" if unit and role else unit or role,
                event.opinion,
                event.hash[:12],
            )
        )
    flow = record.flow_class
    return TableDocumentData(
        title=document.title,
        header_lines=(
            _("记录：%(name)s（编号 %(id)s）") % {"name": str(record), "id": record.pk},
            _("当前状态：%(state)s；共 %(n)s 条审计事件，按时间先后排列。")
            % {"state": flow.state_label(record.state), "n": len(rows)},
        ),
        columns=tuple(Column(str(c.title), c.share, c.align) for c in HISTORY_COLUMNS),
        rows=tuple(rows),
        verification=verification(document),
        empty_text=_("（无审计事件）"),
        landscape=True,
    )


# -- the Four Top-Ten: recommendation form, certificate, list of winners ----------------------

# The fields of each category on the printed form, after nominee, category and units.
NOMINATION_FACTS = {
    "volunteer": ("gender", "birth_date", "person_org", "person_title", "volunteer_number"),
    "team": ("founded_on", "registered_volunteers"),
    "project": ("period_start", "period_end", "organizer"),
    "site": ("site_region", "site_kind"),
}
NOMINATION_SERVICE = ("activities", "service_hours", "contact_name", "contact_phone")


def _fact_value(nomination: Any, name: str, content: dict[str, Any]) -> str:
    value = content.get(name)
    if value in (None, ""):
        return ""
    if name == "gender":
        return str(dict(type(nomination)._meta.get_field("gender").choices).get(value, value))
    if name in ("birth_date", "founded_on", "period_start", "period_end"):
        return cn_date(_date(value))
    if name == "service_hours":
        return f"{Decimal(str(value)):f}"
    return str(value)


def nomination_form_data(
    nomination: Any, *, content: dict[str, Any], revision: Revision | None, document: IssuedDocument
) -> NominationFormData:
    """The recommendation form of ``content`` (a revision's snapshot, or the live content of
    a draft). The recommending unit's and CAST's blocks are the record's own when the form
    shows the current version; an older revision shows the recommendation given on it."""
    from django.utils import translation

    flow = nomination.flow_class
    model = type(nomination)
    category = content.get("category") or nomination.category
    current = revision is None or revision.content_hash == nomination.current_revision_hash
    if revision is not None:
        label = _("第 %(n)s 版") % {"n": revision.number}
        opinions = tuple(opinions_on(nomination, revision.content_hash))
        reviews = tuple(reviews_on(nomination, revision.content_hash))
        digest = revision.content_hash
    else:
        label = _("修改稿（未提交）") if nomination.current_revision_hash else _("草稿（未提交）")
        opinions, reviews, digest = (), (), document.key
    # The form is the official Chinese document whatever the reader's language.
    with translation.override("zh-hans"):
        names = (*NOMINATION_FACTS.get(category, ()), *NOMINATION_SERVICE)
        facts = tuple((str(model._meta.get_field(n).verbose_name), _fact_value(nomination, n, content)) for n in names)
        category_label = str(dict(model._meta.get_field("category").choices).get(category, category))
        blocks = [
            OpinionBlock(
                "申报单位意见",
                content.get("unit_opinion") or "",
                content.get("unit_opinion_signer") or "",
                _date(content.get("unit_opinion_date")),
            )
        ]
        if current:
            blocks.append(
                OpinionBlock(
                    "推荐单位意见",
                    nomination.recommender_opinion,
                    nomination.recommender_signer,
                    nomination.recommender_date,
                )
            )
            blocks.append(
                OpinionBlock("中国科协意见", nomination.cast_opinion, nomination.cast_signer, nomination.cast_date)
            )
        else:
            given = (
                AuditEvent.objects.filter(
                    record_type=nomination.record_type(),
                    record_id=nomination.pk,
                    revision_hash=revision.content_hash,
                    action="recommend",
                )
                .order_by("-record_seq")
                .first()
            )
            blocks.append(
                OpinionBlock("推荐单位意见", given.opinion, given.actor_name, _date(given.created_at))
                if given is not None
                else OpinionBlock("推荐单位意见", "", "", None)
            )
            blocks.append(OpinionBlock("中国科协意见", "", "", None))
    entity, department = undertaking(nomination)
    return NominationFormData(
        round_title=nomination.round.title,
        category=category_label,
        nominee_name=content.get("nominee_name") or "",
        organization=entity,
        department=department,
        recommending_unit=nomination.recommending_unit.name if nomination.recommending_unit else "",
        facts=facts,
        deeds=content.get("deeds") or "",
        blocks=tuple(blocks),
        revision_label=label,
        state_label=flow.state_label(nomination.state),
        verification=verification(document, _("%(label)s · 内容哈希 %(hash)s") % {"label": label, "hash": digest[:16]}),
        opinions=opinions,
        reviews=reviews,
    )


def certificate_citation(nomination: Any) -> str:
    """在2026年度科技志愿服务“四个十佳”选树活动中，入选“十佳科技志愿者”先进典型。"""
    from django.utils import translation

    with translation.override("zh-hans"):
        category = str(dict(type(nomination)._meta.get_field("category").choices).get(nomination.category))
    return f"在{nomination.round.year}年度科技志愿服务“四个十佳”选树活动中，入选“{category}”先进典型。"


def certificate_data(nomination: Any, *, document: IssuedDocument) -> CertificateData:
    return CertificateData(
        recipient=nomination.nominee_name,
        citation=certificate_citation(nomination),
        number=nomination.certificate_number or "",
        issuer=issuer_of(nomination, "award"),
        issued_on=document.issued_on,
        verification=verification(document),
    )


WINNER_COLUMNS = (
    Column(gettext_lazy("序号"), 0.07, "CENTER"),
    Column(gettext_lazy("证书编号"), 0.20),
    Column(gettext_lazy("类别"), 0.22),
    Column(gettext_lazy("名称"), 0.23),
    Column(gettext_lazy("申报单位"), 0.28),
)


def winners_list_rows(nominations: list[Any]) -> tuple[tuple[str, ...], ...]:
    from django.utils import translation

    with translation.override("zh-hans"):
        return tuple(
            (
                str(position),
                n.certificate_number or "",
                str(n.get_category_display()),
                n.nominee_name,
                undertaking_text(n),
            )
            for position, n in enumerate(nominations, start=1)
        )


def winners_list_data(round_: Any, nominations: list[Any], *, document: IssuedDocument) -> TableDocumentData:
    return TableDocumentData(
        title=document.title,
        columns=tuple(Column(str(c.title), c.share, c.align) for c in WINNER_COLUMNS),
        rows=winners_list_rows(nominations),
        verification=verification(document),
        empty_text=_("本批次尚无入选名单。"),
        closing=(cast_name(), cn_date(document.issued_on)),
    )

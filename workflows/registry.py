"""Record types: one declaration each, in the manner of Django's ``ModelAdmin``.

A record app declares its type once — model, flow, forms, filters, serializers, nouns, ranking
groups, detail sections — and registers it::

    @register
    class ApplicationType(RecordType):
        model = Application
        slug = "applications"
        noun = gettext_lazy("申报")
        ...

The engine derives from the declarations the list and detail pages, the attachment, scoring,
assignment, bulk and ranking pages (``workflows.pages``), the API viewset with its bulk
transitions (``workflows.api.records``) and their URLs (``workflows.urls_records``). A type
overrides what differs by setting attributes or overriding methods; templates extend
``workflows/records/*.html`` and fill their blocks. Declarations live in each app's
``records.py`` module, found by ``autodiscover_modules("records")``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import WorkflowRecord

_types: dict[str, RecordType] = {}


class RecordType:
    """What the engine needs to know of one record type; defaults fit the simplest type."""

    model: ClassVar[type[WorkflowRecord]]
    # The URL segment of its pages (``/applications/``) and API (``/api/v1/applications/``),
    # and the namespace of its page URLs (``applications:detail``).
    slug: ClassVar[str]
    # How messages name one record and several ("申报"; English "application", "applications").
    noun: ClassVar[Any] = gettext_lazy("记录")
    noun_plural: ClassVar[Any] = gettext_lazy("记录")
    # The list page's heading, and the short title of the menu and the page titles.
    title: ClassVar[Any] = gettext_lazy("记录")
    menu_title: ClassVar[Any] = gettext_lazy("记录")
    # The field that names a record to people, and its column heading.
    name_field: ClassVar[str] = "name"
    name_label: ClassVar[Any] = gettext_lazy("名称")
    search_placeholder: ClassVar[Any] = gettext_lazy("名称或申报单位")
    # The list's export (a URL name taking the format), if the type has one.
    export_url_name: ClassVar[str | None] = None
    # What the upload form says of files, and the file types it offers (``accept``).
    upload_help: ClassVar[Any] = gettext_lazy("按文件内容识别格式；同类单个附件再次上传将替换原文件。")
    upload_accept: ClassVar[str] = ""
    # Columns the list shows before the state (its template's ``columns_*`` blocks).
    list_columns: ClassVar[int] = 2
    # How rounds and ranking groups are called on the pages.
    round_label: ClassVar[Any] = gettext_lazy("批次")
    group_label: ClassVar[Any] = gettext_lazy("分组")
    ranking_title: ClassVar[Any] = gettext_lazy("专家评分排名")
    # Searched by ``q`` (icontains, any of them).
    search_fields: ClassVar[tuple[str, ...]] = ("organization__name",)
    # ``ordering`` parameter → database ordering; the first is the default.
    orderings: ClassVar[dict[str, str]] = {
        "-created": "-created_at",
        "created": "created_at",
        "-updated": "-updated_at",
        "updated": "updated_at",
        "state": "state",
        "-state": "-state",
    }
    # Rows read with every record of a list (select_related), and with one record (prefetched).
    list_related: ClassVar[tuple[str, ...]] = ("round", "organization", "recommending_unit")
    detail_prefetch: ClassVar[tuple[str, ...]] = ()
    # Ranking: the field records are ranked within (a sub-project, a category), and the states
    # of the records ranked. None: no ranking.
    group_field: ClassVar[str | None] = None
    ranked_states: ClassVar[tuple[str, ...]] = ()
    ranking_related: ClassVar[tuple[str, ...]] = ()
    # Transitions that need more than an opinion from the generic action form (a funding amount):
    # taken on a form of the type's own, left out of the generic actions and of bulk actions.
    special_transitions: ClassVar[tuple[str, ...]] = ()
    # Kinds of attachment shown as pictures on the record's page.
    picture_kinds: ClassVar[tuple[str, ...]] = ()

    # Templates (each extends its ``workflows/records/`` counterpart).
    list_template: ClassVar[str] = "workflows/records/list.html"
    detail_template: ClassVar[str] = "workflows/records/detail.html"
    form_template: ClassVar[str] = "workflows/records/form.html"
    ranking_template: ClassVar[str] = "workflows/records/ranking.html"

    # API: serializers of a list row, of one record, and of what may be written (the schema).
    list_serializer: ClassVar[type | None] = None
    serializer: ClassVar[type | None] = None
    write_serializer: ClassVar[type | None] = None
    # The filters of lists, pages and API alike (django-filter).
    filterset_class: ClassVar[type | None] = None
    # The page form (a Django form): new and edit pages.
    form_class: ClassVar[type | None] = None

    # -- identity ---------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def model_name(self) -> str:
        return self.model._meta.model_name

    @property
    def flow_class(self) -> Any:
        return self.model.flow_class

    def __repr__(self) -> str:
        return f"<RecordType {self.label}>"

    # -- reads ------------------------------------------------------------------------------

    def visible(self, user: Any) -> Any:
        """The records the user may see (the engine's scope rules), with list rows' relations."""
        from .selectors import visible_records

        return visible_records(self.model, user=user).select_related(*self.list_related)

    def listing(self, user: Any, params: Any) -> Any:
        """The records the user may see, filtered and ordered by ``params`` (pages and API)."""
        from .filters import record_filterset

        filterset = (self.filterset_class or record_filterset(self))(params, queryset=self.visible(user))
        filterset.record_type = self
        return filterset.qs

    def get(self, pk: Any, user: Any) -> WorkflowRecord | None:
        from common.http import parse_id

        number = parse_id(pk)
        return None if number is None else self.visible(user).filter(pk=number).first()

    def display_name(self, record: WorkflowRecord) -> str:
        return str(getattr(record, self.name_field, "") or record)

    def group_of(self, record: WorkflowRecord) -> Any:
        return getattr(record, self.group_field) if self.group_field else None

    # The query parameter naming a group (``subproject``, ``category``) on the ranking page.
    group_param: ClassVar[str] = "group"
    # The kind of round the records belong to (the lists' round filter, the ranking).
    round_kind: ClassVar[str] = "application"
    # States in which CAST staff may give a record a panel of experts.
    assignable_states: ClassVar[frozenset[str]] = frozenset({"recommended", "expert_review"})
    bulk_confirm_template: ClassVar[str] = "workflows/records/bulk_confirm.html"

    def rounds(self) -> list[Any]:
        from .models import Round

        return list(Round.objects.filter(kind=self.round_kind).order_by("-year", "-pk"))

    def ranking_groups(self, round_: Any) -> list[dict[str, Any]]:
        """The groups ranked in a round, each {value, label} and, if it has one, its ``number``
        of places (a category's winners) and a ``note`` shown under its heading (e.g. the
        funds proposed against a sub-project's envelope)."""
        return []

    # The API's ranking: the fields a row adds (``ranking_extra``) and its query parameters.
    ranking_extra_fields: ClassVar[tuple[str, ...]] = ()

    def ranking_extra(self, record: WorkflowRecord) -> dict[str, Any]:
        return {}

    def ranking_parameters(self) -> list[Any]:
        from drf_spectacular.utils import OpenApiParameter

        return [OpenApiParameter("round", int, required=True)]

    def ranking_request(self, params: Any) -> tuple[int, Any]:
        """(round id, group or None) from the ranking's query parameters; InvalidInput else."""
        from common.http import parse_id

        from .exceptions import InvalidInput

        round_id = parse_id(params.get("round", ""))
        if round_id is None:
            raise InvalidInput(_("请指定批次编号 round"))
        return round_id, None

    def criteria(self, record: WorkflowRecord) -> list[Any]:
        """The scoring criteria of the record (its round's; a category's)."""
        return list(record.round.typed_settings.criteria)

    # -- writes -----------------------------------------------------------------------------

    def create(self, *, actor: Any, data: dict[str, Any]) -> WorkflowRecord:
        """A new draft (pages and API). By default validated by ``form_class``."""
        from .drafts import form_create

        if self.form_class is None:
            raise NotImplementedError(f"{self!r} declares neither a form nor a create service")
        return form_create(self, actor=actor, data=data)

    def update(self, record: WorkflowRecord, *, actor: Any, data: dict[str, Any]) -> WorkflowRecord:
        """A change to a draft (pages and API). By default validated by ``form_class``."""
        from .drafts import form_update

        if self.form_class is None:
            raise NotImplementedError(f"{self!r} declares neither a form nor an update service")
        return form_update(self, record, actor=actor, data=data)

    # -- the API ----------------------------------------------------------------------------

    # Mixins of the type's viewset (actions of its own, e.g. a revision diff).
    api_mixins: ClassVar[tuple[type, ...]] = ()

    def filter_help(self) -> dict[str, Any]:
        """The list's query parameters, documented (the filterset's names)."""
        return {
            "state": "状态，可逗号分隔多个 — state(s), comma separated",
            "round": "批次编号 — round id",
            "q": "搜索 — search",
            "ordering": "排序 — ordering: " + ", ".join(self.orderings),
        }

    # -- pages ------------------------------------------------------------------------------

    def bulk_choices(self) -> list[tuple[str, str]]:
        """(name, label) of the transitions CAST staff may take on many records at once: those
        the flow marks ``bulk`` first, then CAST staff's others, less the special ones and those
        another process takes (publishing a notice)."""
        from .flows import CAST_STAFF

        flow = self.flow_class
        choices = []
        for name, transitions in flow.all_transitions().items():
            first = transitions[0]
            spec = flow.spec_of(first)
            if first.permission is CAST_STAFF and name not in self.special_transitions and not spec.driven_by:
                choices.append((not spec.bulk, name, str(first.label)))
        return [(name, label) for _rest, name, label in sorted(choices)]

    def filter_names(self) -> list[str]:
        """The list's query parameters (the filterset's)."""
        from .filters import record_filterset

        return list((self.filterset_class or record_filterset(self)).base_filters)

    def page_form(self, request: Any, record: WorkflowRecord | None, *, posted: bool = False) -> Any:
        """The new (``record`` None) or edit page's form: ``errors_list()``, ``service_data()``,
        ``context(record)`` (what its template needs besides the form). By default the
        ``form_class`` with the round (and unit, for several) to choose when creating."""
        from .forms import DeclaredPageForm

        return DeclaredPageForm(self, request, record, posted=posted)

    def created_message(self, record: WorkflowRecord) -> str:
        return _("%(noun)s已保存为草稿。") % {"noun": self.noun}

    def bulk_outlook(self, name: str, records: list[WorkflowRecord]) -> list[dict[str, Any]]:
        """What a bulk action's confirmation shows besides the records (a category's places);
        each entry's ``over`` asks for a reason."""
        return []

    def bulk_details(self, record: WorkflowRecord) -> list[str]:
        """What the bulk confirmation says of a record besides its name and state."""
        return [record.organization.name]

    def list_context(self, request: Any, filters: dict[str, str]) -> dict[str, Any]:
        """What the list page's filters offer (choices of the type's own filters)."""
        return {}

    def detail_context(self, request: Any, record: WorkflowRecord, ctx: dict[str, Any]) -> None:
        """Add the type's own parts of the record's page to ``ctx``."""

    def ordering_choices(self) -> list[tuple[str, str]]:
        """(key, label) of the list page's sort menu, in the order shown."""
        return [
            ("-created", _("创建时间（新→旧）")),
            ("created", _("创建时间（旧→新）")),
            ("-updated", _("更新时间（新→旧）")),
            ("state", _("状态")),
        ]

    def scope_note(self, user: Any) -> str:
        """What the user's list holds, one sentence per role they hold."""
        from accounts import permissions as perms
        from accounts.models import Role

        noun = self.noun_plural
        notes = []
        roles = {g.role for g in perms.grants(user)}
        if Role.APPLICANT in roles:
            notes.append(_("本单位的%(noun)s，含状态和下一步可办理的操作。") % {"noun": noun})
        if Role.SOCIETY_REVIEWER in roles:
            notes.append(_("以本单位为推荐单位的%(noun)s（待审核队列）。") % {"noun": noun})
        if Role.CONTENT_REVIEWER in roles:
            notes.append(_("等待本单位内容审核的%(noun)s，以及本单位审核过的%(noun)s。") % {"noun": noun})
        if Role.EXPERT in roles:
            notes.append(_("分配给您评审的%(noun)s。") % {"noun": noun})
        if perms.is_cast_staff(user):
            notes.append(_("已推荐（待中国科协审核）及之后各阶段的全部%(noun)s。") % {"noun": noun})
        if Role.AUDITOR in roles:
            notes.append(_("全部%(noun)s（只读）。") % {"noun": noun})
        return " ".join(notes) or _("您的账号没有可查看%(noun)s的角色。") % {"noun": noun}

    def extra_page_urls(self) -> list[Any]:
        """Page URLs of the type's own (in its namespace)."""
        return []

    def api_viewset(self) -> type:
        """The API viewset: the engine's, or a subclass the type gives (extra actions)."""
        from .api.records import RecordViewSet

        return RecordViewSet.for_type(self)


def register(cls: type[RecordType]) -> type[RecordType]:
    """Class decorator: register a record type declaration (once per model). Serializers the
    type does not declare are made from its model (its content fields) and its form."""
    from .api.serializers import declared_serializers

    if cls.serializer is None or cls.list_serializer is None or cls.write_serializer is None:
        record, listed, write = declared_serializers(cls.model, cls.form_class)
        cls.serializer = cls.serializer or record
        cls.list_serializer = cls.list_serializer or listed
        cls.write_serializer = cls.write_serializer or write
    instance = cls()
    _types[instance.label] = instance
    return cls


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("records")


def record_types() -> list[RecordType]:
    return list(_types.values())


def record_type_of(record_or_model: Any) -> RecordType | None:
    """The declaration of a record, a model, or a label ("applications.application")."""
    if isinstance(record_or_model, str):
        return _types.get(record_or_model)
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    return _types.get(model._meta.label_lower)


def record_type_by_slug(slug: str) -> RecordType | None:
    return next((t for t in _types.values() if t.slug == slug), None)


def record_models() -> dict[str, type[WorkflowRecord]]:
    """Every concrete record model, declared or not (the audit trail names them all)."""
    return {model._meta.label_lower: model for model in apps.get_models() if issubclass(model, WorkflowRecord)}


def get_record_model(label: str) -> type[WorkflowRecord] | None:
    return record_models().get(label)


def declared(labels: Iterable[str]) -> list[RecordType]:
    return [t for label in labels if (t := _types.get(label)) is not None]

"""The filters of record lists (django-filter), the same for pages, the API and exports.

Lenient like a search form: a value that does not parse (a round id of letters) filters
nothing rather than failing the page; the API documents the parameters.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from common.http import parse_id


class RecordFilterSet(django_filters.FilterSet):
    """``state`` (one or several, comma separated), ``round`` (id), ``q`` (search over the
    type's ``search_fields``), ``ordering`` (a key of the type's ``orderings``)."""

    state = django_filters.CharFilter(method="filter_state")
    round = django_filters.CharFilter(method="filter_round")
    q = django_filters.CharFilter(method="filter_q")
    ordering = django_filters.CharFilter(method="filter_ordering")

    record_type: Any = None  # set by record_filterset or the subclass

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        states = [s for s in value.split(",") if s]
        return queryset.filter(state__in=states) if states else queryset

    def filter_round(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        number = parse_id(value)
        return queryset.filter(round_id=number) if number is not None else queryset

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(reduce(or_, [Q(**{f"{f}__icontains": value}) for f in self.record_type.search_fields]))

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in ``qs``, whatever else was filtered

    @property
    def qs(self) -> QuerySet:
        orderings = self.record_type.orderings
        key = self.data.get("ordering") or ""
        ordering = orderings.get(key) or next(iter(orderings.values()))
        return super().qs.order_by(ordering, "-pk")


def record_filterset(record_type: Any) -> type[RecordFilterSet]:
    """The filters of a type that declares none of its own."""
    cached = getattr(record_type, "_filterset", None)
    if cached is None:
        meta = type("Meta", (), {"model": record_type.model, "fields": []})
        cached = type(f"{record_type.model.__name__}FilterSet", (RecordFilterSet,), {"Meta": meta})
        cached.record_type = record_type
        record_type._filterset = cached
    return cached

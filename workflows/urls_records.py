"""The URLs of every record type's pages and API, from the registry (config/urls.py)."""

from __future__ import annotations

from typing import Any

from django.urls import include, path

from . import pages
from .registry import RecordType, record_types


def page_urls(rt: RecordType) -> list[Any]:
    """``/{slug}/…`` in the namespace ``{slug}`` (``applications:detail`` …)."""

    def bound(view: Any) -> Any:
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            return view(request, rt, *args, **kwargs)

        wrapped.__name__ = f"{rt.slug}_{view.__name__}"
        wrapped.__doc__ = view.__doc__
        return wrapped

    return [
        path("", bound(pages.record_list), name="list"),
        path("new/", bound(pages.record_new), name="new"),
        path("ranking/", bound(pages.record_ranking), name="ranking"),
        path("bulk/", bound(pages.record_bulk), name="bulk"),
        path("<int:pk>/", bound(pages.record_detail), name="detail"),
        path("<int:pk>/edit/", bound(pages.record_edit), name="edit"),
        path("<int:pk>/attachments/", bound(pages.attachment_upload), name="attachment-upload"),
        path("<int:pk>/attachments/<int:aid>/", bound(pages.attachment_download), name="attachment"),
        path("<int:pk>/attachments/<int:aid>/delete/", bound(pages.attachment_remove), name="attachment-delete"),
        path("<int:pk>/score/", bound(pages.record_score), name="score"),
        path("<int:pk>/assign/", bound(pages.record_assign), name="assign"),
        path(
            "<int:pk>/assignments/<int:aid>/",
            bound(pages.record_assignment_change),
            name="assignment-change",
        ),
        *rt.extra_page_urls(),
    ]


def all_page_urls() -> list[Any]:
    return [path(f"{rt.slug}/", include((page_urls(rt), rt.slug))) for rt in record_types()]


def api_router() -> Any:
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter()
    for rt in record_types():
        router.register(rt.slug, rt.api_viewset(), basename=rt.model._meta.model_name)
    return router

"""The record types the engine knows: every concrete WorkflowRecord model."""

from __future__ import annotations

from django.apps import apps

from .models import WorkflowRecord


def record_models() -> dict[str, type[WorkflowRecord]]:
    return {model._meta.label_lower: model for model in apps.get_models() if issubclass(model, WorkflowRecord)}


def get_record_model(label: str) -> type[WorkflowRecord] | None:
    return record_models().get(label)

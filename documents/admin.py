from django.contrib import admin

from workflows.admin import ReadOnlyAdmin

from .models import BatchJob, IssuedDocument


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """Issued documents are records of what was issued: never edited by hand."""

    list_display = ["code", "kind", "title", "number", "issued_on", "record_type", "record_id", "created_at"]
    list_filter = ["kind"]
    search_fields = ["code", "title", "number"]


@admin.register(BatchJob)
class BatchJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "round", "requested_by", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["status", "kind"]

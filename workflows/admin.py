from django.contrib import admin

from .models import AuditEvent, Checkpoint, ReviewAssignment, Revision, Round, Score, SensitiveTerm


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "kind", "submission_opens", "submission_closes"]
    list_filter = ["kind", "year"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Read only: terms are changed on /manage/rules/terms/, where every change is audited.
@admin.register(SensitiveTerm)
class SensitiveTermAdmin(ReadOnlyAdmin):
    list_display = ["term", "category", "severity", "active", "updated_at"]
    list_filter = ["severity", "category", "active"]
    search_fields = ["term"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "record_type", "record_id", "record_seq", "action", "actor_name", "created_at"]
    list_filter = ["record_type", "action"]
    search_fields = ["record_id", "actor_name", "opinion"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["record_type", "record_id", "stage", "verdict", "reviewer", "created_at"]
    list_filter = ["stage", "verdict"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["record_type", "record_id", "number", "content_hash", "created_at"]


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["record_type", "record_id", "stage", "assignee", "due_date", "status"]
    list_filter = ["status", "stage"]


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ["record_type", "record_id", "expert", "total", "submitted_at"]
    list_filter = ["record_type"]

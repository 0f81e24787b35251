from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["message_key", "recipient", "channel", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "channel", "message_key"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    search_fields = ["recipient__username", "dedup_key", "last_error"]

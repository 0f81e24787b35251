from django.contrib import admin

from .models import Nomination


@admin.register(Nomination)
class NominationAdmin(admin.ModelAdmin):
    list_display = ["nominee_name", "category", "organization", "state", "certificate_number"]
    list_filter = ["category", "state", "round"]
    search_fields = ["nominee_name"]
    readonly_fields = [f.name for f in Nomination._meta.fields]

    def has_add_permission(self, request):
        return False

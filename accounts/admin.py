from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Organization, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Zhihui", {"fields": ("display_name", "phone", "language")}))
    list_display = ["username", "display_name", "email", "is_active"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "type", "parent", "pilot_county", "recommending_unit", "is_active"]
    list_filter = ["type", "pilot_county", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["recommending_unit"]

    def save_model(self, request, obj, form, change):
        from .services import recompute_recommending_units

        super().save_model(request, obj, form, change)
        # Moving or retyping one organization can change the recommending unit of a subtree.
        recompute_recommending_units()

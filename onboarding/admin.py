"""Django admin for staff: a fallback and the performance baseline for `bench`."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import models


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "staff_role", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "weekly_digest")}),
        ("Programme", {"fields": ("staff_role", "is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2", "staff_role")}),)


class MemberInline(admin.TabularInline):
    model = models.StartupMember
    fk_name = "startup"
    extra = 0
    raw_id_fields = ["user", "added_by"]


@admin.register(models.Startup)
class StartupAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "brand_name", "dpiit_number", "state", "status", "capacity", "accepting_assignments"]
    list_filter = ["status", "state", "accepting_assignments"]
    search_fields = ["legal_name", "brand_name", "dpiit_number"]
    inlines = [MemberInline]


@admin.register(models.Exporter)
class ExporterAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "gstin", "state", "district", "current_stage", "startup", "status"]
    list_filter = ["status", "state", "current_stage"]
    search_fields = ["legal_name", "trade_name", "gstin"]
    list_select_related = ["current_stage", "startup"]
    raw_id_fields = ["startup", "agent", "sector", "current_stage"]


@admin.register(models.Stage)
class StageAdmin(SimpleHistoryAdmin):
    list_display = ["order", "code", "name", "sla_days", "auto_approve"]


@admin.register(models.Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["exporter", "startup", "how", "assigned_at", "ended_at", "end_reason"]
    raw_id_fields = ["exporter", "startup", "agent", "assigned_by", "ended_by"]
    list_select_related = ["exporter", "startup"]


admin.site.register(models.Sector)
admin.site.register(models.ImportBatch)


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Read-only: reminders are written by the sweep and the send task, never by hand."""

    list_display = ["created_at", "kind", "recipient", "startup", "period_key", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["recipient", "startup"]
    raw_id_fields = ["recipient", "startup", "exporters"]
    search_fields = ["recipient__email", "period_key", "subject"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

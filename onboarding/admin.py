"""Django admin: a window on the records for staff, the place admins configure stages and staff
users, and the performance baseline for `bench`.

Every other change is made on the portal's pages, whose forms and services check the input, lock
rows, keep history and send email; admin would go around all of that. So the programme's records
are read-only here, each with a link to the page that changes it. Officers see only the models in
`OFFICER_ADMIN_MODELS` (models/users.py); everything else (tokens, sign-in records, users) is for
admins.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from . import models
from .models.stages import DocumentKind, EvidenceField, StageEventStatus
from .services.users import user_two_factor_disable

# Whose admin this is, on every page and in the browser's tab.
admin.site.site_header = admin.site.site_title = "Export Onboarding Portal administration"
admin.site.index_title = "Records and settings"

# Authenticator secrets and recovery codes are nobody's to read: a lost device is reset from
# the user list ("Reset two-factor sign-in"), and people set up their own at /account/two-factor/.
# Groups would grant nothing: rights come from the programme role (User.has_perm).
for unlisted in (TOTPDevice, StaticDevice, Group):
    if admin.site.is_registered(unlisted):
        admin.site.unregister(unlisted)


class GuardedHistoryAdmin(SimpleHistoryAdmin):
    """simple-history saves a POSTed "revert" for anyone who may merely view the history:
    here a revert needs the right to change the record, like any other change."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnly:
    """Nothing is added, changed or deleted here: the portal's forms and services do that."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PortalRecord(ReadOnly):
    """Read-only in admin, with a link to the portal page that changes the record."""

    readonly_fields = ("in_the_portal",)

    def portal_url(self, obj) -> str | None:
        return None

    @admin.display(description="Change it in the portal")
    def in_the_portal(self, obj) -> str:
        url = self.portal_url(obj) if obj is not None and obj.pk else None
        return format_html('<a href="{}">Open in the portal</a>', url) if url else "—"

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "in_the_portal"]
        return ["in_the_portal", *fields]


# --- People ---------------------------------------------------------------------------------


class UserChangeForm(BaseUserChangeForm):
    def clean_staff_role(self) -> str:
        staff_role = self.cleaned_data["staff_role"]
        if staff_role and self.instance.pk and self.instance.memberships.active().exists():
            raise ValidationError(
                "This person belongs to a startup team: remove them from it before making them programme staff."
            )
        return staff_role


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    """Admins manage staff accounts here: role, active or not, a reset of two-factor sign-in.
    Startup memberships are made and ended on the startup and team pages only."""

    form = UserChangeForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "staff_role", "is_active", "two_factor_enabled"]
    list_filter = ["staff_role", "is_active", "two_factor_enabled"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["is_superuser", "two_factor_enabled", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "weekly_digest")}),
        ("Programme", {"fields": ("staff_role", "is_active", "is_superuser", "two_factor_enabled")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2", "staff_role")}),)
    actions = ["reset_two_factor"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # People are deactivated, never deleted: their names stay on the records they touched.
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Django admin lets in `is_staff` users: that follows the programme role.
        obj.is_staff = bool(obj.staff_role) or obj.is_superuser
        super().save_model(request, obj, form, change)

    @admin.action(description="Reset two-factor sign-in (they set it up again)", permissions=["change"])
    def reset_two_factor(self, request, queryset) -> None:
        for user in queryset:
            try:
                user_two_factor_disable(actor=request.user, user=user)
            except PermissionDenied as refusal:
                self.message_user(request, f"{user.email}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{user.email}: two-factor sign-in reset.", messages.SUCCESS)


# --- The programme's records: read-only, changed in the portal ----------------------------


class MemberInline(ReadOnly, admin.TabularInline):
    """Members are added and removed on the startup and team pages (invitation email, audit)."""

    model = models.StartupMember
    fk_name = "startup"
    extra = 0
    fields = ["user", "role", "added_at", "removed_at"]
    readonly_fields = fields


@admin.register(models.Startup)
class StartupAdmin(PortalRecord, GuardedHistoryAdmin):
    list_display = [
        "legal_name",
        "brand_name",
        "dpiit_number",
        "gstin",
        "state",
        "status",
        "capacity",
        "accepting_assignments",
    ]
    list_filter = ["status", "state", "accepting_assignments"]
    search_fields = ["legal_name", "brand_name", "dpiit_number", "gstin"]
    inlines = [MemberInline]

    def portal_url(self, obj) -> str:
        return reverse("onboarding:startup-update", args=[obj.pk])


@admin.register(models.Exporter)
class ExporterAdmin(PortalRecord, GuardedHistoryAdmin):
    list_display = ["legal_name", "gstin", "state", "district", "current_stage", "startup", "status"]
    list_filter = ["status", "state", "current_stage"]
    search_fields = ["legal_name", "trade_name", "gstin"]
    list_select_related = ["current_stage", "startup"]

    def portal_url(self, obj) -> str:
        # The exporter page: edit, assign or reassign, set the stage (each with its reason).
        return obj.get_absolute_url()


@admin.register(models.Assignment)
class AssignmentAdmin(PortalRecord, GuardedHistoryAdmin):
    list_display = ["exporter", "startup", "how", "assigned_at", "ended_at", "end_reason"]
    list_select_related = ["exporter", "startup"]

    def portal_url(self, obj) -> str:
        return obj.exporter.get_absolute_url()


@admin.register(models.StageEvent)
class StageEventAdmin(PortalRecord, admin.ModelAdmin):
    list_display = ["exporter", "stage", "status", "submitted_at", "reviewed_at"]
    list_filter = ["status", "stage"]
    list_select_related = ["exporter", "stage"]

    def portal_url(self, obj) -> str:
        return (
            reverse("onboarding:review-queue")
            if obj.status == StageEventStatus.SUBMITTED
            else obj.exporter.get_absolute_url()
        )


@admin.register(models.Activity)
class ActivityAdmin(PortalRecord, admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "exporter", "startup", "user"]
    list_filter = ["kind"]
    list_select_related = ["exporter", "startup", "user"]

    def portal_url(self, obj) -> str:
        return obj.exporter.get_absolute_url()


@admin.register(models.Commission)
class CommissionAdmin(PortalRecord, GuardedHistoryAdmin):
    list_display = ["created_at", "startup", "exporter", "stage", "amount", "status"]
    list_filter = ["status"]
    list_select_related = ["startup", "exporter", "stage"]

    def portal_url(self, obj) -> str:
        return reverse("onboarding:commission-list")


@admin.register(models.CommissionRule)
class CommissionRuleAdmin(PortalRecord, GuardedHistoryAdmin):
    def portal_url(self, obj) -> str:
        return reverse("onboarding:commission-rule-edit", args=[obj.pk])


@admin.register(models.PayoutRun)
class PayoutRunAdmin(PortalRecord, GuardedHistoryAdmin):
    list_display = ["period", "created_by", "created_at"]

    def portal_url(self, obj) -> str:
        return obj.get_absolute_url()


@admin.register(models.Payout)
class PayoutAdmin(PortalRecord, GuardedHistoryAdmin):
    list_display = ["run", "startup", "amount", "payment_reference", "paid_at"]
    list_select_related = ["run", "startup"]

    def portal_url(self, obj) -> str:
        return obj.run.get_absolute_url()


@admin.register(models.TaxRule)
class TaxRuleAdmin(GuardedHistoryAdmin):
    """TDS and GST rates as dated rows (docs/domain.md, "Tax on payouts"): admins add the next
    change of the law here. Periods of one kind cannot overlap (TaxRule.clean); a rule that
    taxed a payout stays, so rules are ended (an end date), never deleted."""

    list_display = ["kind", "rate", "no_pan_rate", "threshold", "effective_from", "effective_to", "legal_reference"]
    list_filter = ["kind"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Bank details are not in admin: every screen but the portal's edit form masks the account
# number, and their changes need a second admin's confirmation (/startups/<id>/bank/).


@admin.register(models.ImportBatch)
class ImportBatchAdmin(PortalRecord, admin.ModelAdmin):
    list_display = ["created_at", "file_name", "uploaded_by", "status", "new_count", "update_count", "error_count"]
    list_filter = ["status"]

    def portal_url(self, obj) -> str:
        return reverse("onboarding:exporter-import-detail", args=[obj.pk])


@admin.register(models.OutboxMessage)
class ReminderAdmin(PortalRecord, admin.ModelAdmin):
    """Reminders are written by the sweep and the send task, never by hand."""

    list_display = ["created_at", "kind", "recipient", "startup", "period_key", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["recipient", "startup"]
    search_fields = ["recipient__email", "period_key", "subject"]

    def portal_url(self, obj) -> str:
        return reverse("onboarding:outbox")


@admin.register(models.Sector)
class SectorAdmin(PortalRecord, admin.ModelAdmin):
    """HS sections: reference data from the seed migration."""


# --- Stages: programme configuration, edited here by admins ---------------------------------


class StageForm(forms.ModelForm):
    evidence_fields = forms.MultipleChoiceField(
        choices=EvidenceField.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What a startup must give to claim this stage.",
    )
    documents = forms.MultipleChoiceField(
        choices=DocumentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The documents a startup must upload to claim this stage, each in its own slot.",
    )
    # Left empty, a stage has no minimum (0), as stages made before the field had.
    earliest_after_minutes = forms.IntegerField(
        label="Earliest after (minutes)",
        min_value=0,
        required=False,
        help_text="The least time this stage can honestly take after the exporter's assignment or previous stage. "
        "A claim sent sooner is shown to officers as a fraud signal, never refused. Empty or 0: no minimum.",
    )

    class Meta:
        model = models.Stage
        fields = [
            "code",
            "name",
            "order",
            "sla_days",
            "description",
            "evidence_fields",
            "documents",
            "auto_approve",
            "earliest_after_minutes",
        ]

    def clean_documents(self) -> list[str]:
        chosen = self.cleaned_data["documents"]
        # Keep the checklist's order (the submit form follows it); new ones go last.
        before = [k for k in (self.instance.documents or []) if k in chosen] if self.instance.pk else []
        return before + [k for k in chosen if k not in before]

    def clean_earliest_after_minutes(self) -> int:
        return self.cleaned_data["earliest_after_minutes"] or 0

    def clean_evidence_fields(self) -> list[str]:
        chosen = self.cleaned_data["evidence_fields"]
        if len(set(chosen)) != len(chosen):
            raise ValidationError("Each evidence field may be listed once.")
        # Keep the order the stage already had (the evidence form follows it); new ones go last.
        before = [f for f in (self.instance.evidence_fields or []) if f in chosen] if self.instance.pk else []
        return before + [f for f in chosen if f not in before]


@admin.register(models.Stage)
class StageAdmin(GuardedHistoryAdmin):
    """Names, SLAs, required evidence and auto-approval are configuration: admins edit them here.
    A stage's code is named in code ("assigned", "contacted"), so it is fixed once made."""

    form = StageForm
    list_display = ["order", "code", "name", "sla_days", "auto_approve", "earliest_after_minutes"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        # Exporters, evidence and commissions point at stages; a stage is never deleted.
        return False

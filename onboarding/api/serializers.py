"""Read representations. Writes are validated by the portal's forms (see api/forms.py), not here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Activity, Assignment, Commission, Exporter, Stage, StageEvent, Startup, User
from ..models.activities import ContactOutcome


class UserRefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name"]

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.email


class StartupRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Startup
        fields = ["id", "name"]


class ExporterRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Exporter
        fields = ["id", "name", "gstin"]


class StageRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "code", "name", "order"]


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = [
            "id",
            "code",
            "name",
            "order",
            "sla_days",
            "description",
            "evidence_fields",
            "documents",
            "auto_approve",
        ]


class StartupSerializer(serializers.ModelSerializer):
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    open_exporters = serializers.IntegerField(read_only=True, help_text="Exporters currently assigned")

    class Meta:
        model = Startup
        fields = [
            "id",
            "legal_name",
            "brand_name",
            "dpiit_number",
            "gstin",
            "cin",
            "pan",
            "state",
            "city",
            "website",
            "contact_name",
            "contact_email",
            "contact_mobile",
            "sectors",
            "languages",
            "capacity",
            "open_exporters",
            "accepting_assignments",
            "status",
            "created_at",
            "updated_at",
        ]


class ExporterSerializer(serializers.ModelSerializer):
    startup = StartupRefSerializer(read_only=True, allow_null=True)
    agent = UserRefSerializer(read_only=True, allow_null=True)
    current_stage = StageRefSerializer(read_only=True, allow_null=True)
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Exporter
        fields = [
            "id",
            "legal_name",
            "trade_name",
            "gstin",
            "pan",
            "iec",
            "udyam_number",
            "msme_category",
            "state",
            "district",
            "pin_code",
            "contact_name",
            "contact_email",
            "contact_mobile",
            "products",
            "sector",
            "target_markets",
            "preferred_language",
            "is_manufacturer",
            "marketplace",
            "marketplace_member_id",
            "storefront_url",
            "products_listed",
            "current_stage",
            "stage_entered_at",
            "startup",
            "agent",
            "last_activity_at",
            "status",
            "status_reason",
            "created_at",
            "updated_at",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    exporter = ExporterRefSerializer(read_only=True)
    startup = StartupRefSerializer(read_only=True)
    agent = UserRefSerializer(read_only=True, allow_null=True)
    assigned_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "exporter",
            "startup",
            "agent",
            "assigned_by",
            "assigned_at",
            "how",
            "why",
            "ended_at",
            "end_reason",
            "end_note",
        ]


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class DownloadUrlField(serializers.Field):
    """The protected download of the record's file (absolute), or null without one."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True, help_text="Protected download of the uploaded file, or null")
        super().__init__(**kwargs)

    def to_representation(self, instance) -> str | None:
        if not instance.download_url:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(instance.download_url) if request else instance.download_url


class StageEventSerializer(serializers.ModelSerializer):
    exporter = ExporterRefSerializer(read_only=True)
    startup = StartupRefSerializer(read_only=True, allow_null=True, help_text="The startup that made the claim")
    download_url = DownloadUrlField()
    # A plain string: the stages that take no link store "", which is no URI.
    evidence_url = serializers.CharField(read_only=True, help_text="The link given as evidence, or empty")
    stage = StageRefSerializer(read_only=True)
    submitted_by = UserRefSerializer(read_only=True, allow_null=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StageEvent
        fields = [
            "id",
            "exporter",
            "startup",
            "assignment",
            "stage",
            "submitted_by",
            "submitted_at",
            "evidence_url",
            "evidence_number",
            "evidence_reference",
            "evidence_amount",
            "evidence_country",
            "evidence_date",
            "file_name",
            "download_url",
            "note",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "unconfirmed_reason",
        ]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    exporter = ExporterRefSerializer(read_only=True)
    startup = StartupRefSerializer(read_only=True)
    user = UserRefSerializer(read_only=True, allow_null=True)
    download_url = DownloadUrlField()
    # Blank for work other than a call or visit (and for calls logged before outcomes were kept).
    outcome = serializers.ChoiceField(choices=ContactOutcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "startup",
            "exporter",
            "user",
            "kind",
            "outcome",
            "occurred_at",
            "duration_minutes",
            "note",
            "file_name",
            "download_url",
            "created_at",
        ]
        read_only_fields = fields


class CommissionSerializer(serializers.ModelSerializer):
    startup = StartupRefSerializer(read_only=True)
    exporter = ExporterRefSerializer(read_only=True)
    stage = StageRefSerializer(read_only=True)

    class Meta:
        model = Commission
        fields = [
            "id",
            "startup",
            "exporter",
            "stage",
            "stage_event",
            "amount",
            "status",
            "reverses",
            "created_at",
            "approved_at",
            "paid_at",
            "payment_reference",
            "note",
        ]
        read_only_fields = fields

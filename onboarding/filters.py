"""List filters for staff pages (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from .choices import STATE_CHOICES
from .models import Exporter, Sector, Stage, Startup
from .models.exporters import ExporterStatus
from .models.startups import StartupStatus


class StartupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.ChoiceFilter(choices=StartupStatus.choices)
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES)
    sector = django_filters.ModelChoiceFilter(field_name="sectors", queryset=Sector.objects.all())

    class Meta:
        model = Startup
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class ExporterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES)
    district = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=ExporterStatus.choices)
    stage = django_filters.ModelChoiceFilter(field_name="current_stage", queryset=Stage.objects.all())
    sector = django_filters.ModelChoiceFilter(queryset=Sector.objects.all())
    startup = django_filters.ModelChoiceFilter(queryset=Startup.objects.only("pk", "legal_name", "brand_name"))
    unassigned = django_filters.BooleanFilter(field_name="startup", lookup_expr="isnull", label="Unassigned")
    stalled = django_filters.BooleanFilter(method="filter_stalled", label="Stalled only")
    o = django_filters.OrderingFilter(
        fields=(
            ("legal_name", "name"),
            ("state", "state"),
            ("stage_entered_at", "in_stage_since"),
            ("current_stage__order", "stage"),
            ("created_at", "added"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Exporter
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_stalled(self, queryset, name, value):
        return queryset.stalled(timezone.now()) if value else queryset

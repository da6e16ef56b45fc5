"""List filters for staff pages and the API (django-filter), and reading ids from a request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django_filters.fields import ModelChoiceField

from .forms.fields import quick
from .models import Activity, Exporter, Sector, Stage, StageEvent, Startup, User
from .models.activities import ActivityKind
from .models.exporters import ExporterStatus
from .models.reminders import Reminder, ReminderKind, ReminderStatus
from .models.startups import StartupStatus
from .reference import STATE_CHOICES

# The largest id a bigint column holds (PostgreSQL's bigint, SQLite's INTEGER): a larger
# number sent to the database is an overflow error, not "no such row".
MAX_ID = 2**63 - 1
# ASCII digits only: str.isdigit() accepts "²", which int() refuses, and int() accepts
# "١٢" (Arabic-Indic digits), " 7", "+7" and "7_000", none of which is an id we print.
ID_RE = re.compile(r"[0-9]{1,19}")
INVALID_ID = "Enter an id: a whole number from 1 to 9223372036854775807."


def parse_id(value: object) -> int | None:
    """A database id from a query string or form value; None for anything else (junk, 0, too big)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and ID_RE.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids among `values`, in order, without repeats; junk is left out."""
    ids = (parse_id(value) for value in values)
    return list(dict.fromkeys(i for i in ids if i is not None))


class IdField(forms.Field):
    """A form field for an id: a clear message for junk instead of a database error."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise ValidationError(INVALID_ID, code="invalid")
        return number


class IdFilter(django_filters.Filter):
    """Filter on an id column (`?exporter=12`): junk is a field error, never a 500."""

    field_class = IdField


class IdChoiceField(ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter by primary key that refuses junk before it reaches the database."""

    field_class = IdChoiceField


ASSIGNED_CHOICES = [("", "Any"), ("true", "Unassigned"), ("false", "Assigned")]
STALLED_CHOICES = [("", "Any"), ("true", "Stalled only")]
LATE_CHOICES = [("", "Any"), ("true", "Past the SLA")]
MINE_CHOICES = [("false", "All of my startup's"), ("true", "Only mine")]


class BootstrapFilterSet(django_filters.FilterSet):
    """Filter forms are rendered by hand (not crispy): a list page renders its filter
    bar on every request, and crispy's per-option templates cost more than the query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget = widget = quick(field.widget)
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)
            if hasattr(field, "empty_label") and field.empty_label is not None:
                field.empty_label = "Any"


def day_filter(field: str, lookup: str, label: str) -> django_filters.DateFilter:
    """A date box filtering a datetime field by its (local) day."""
    return django_filters.DateFilter(
        field_name=field, lookup_expr=f"date__{lookup}", label=label, widget=forms.DateInput(attrs={"type": "date"})
    )


def filter_by_startup_name(queryset, name, value):
    return queryset.filter(Q(startup__brand_name__icontains=value) | Q(startup__legal_name__icontains=value))


class StartupFilter(BootstrapFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.ChoiceFilter(choices=StartupStatus.choices)
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES)
    sector = IdChoiceFilter(field_name="sectors", queryset=Sector.objects.all())

    class Meta:
        model = Startup
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class ExporterFilter(BootstrapFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES)
    district = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=ExporterStatus.choices)
    stage = IdChoiceFilter(field_name="current_stage", queryset=Stage.objects.all())
    sector = IdChoiceFilter(queryset=Sector.objects.all())
    # A select of every startup would be hundreds of options: staff type a name instead,
    # and links from a startup's page pass its id in the hidden `startup` field.
    startup_name = django_filters.CharFilter(method=filter_by_startup_name, label="Startup")
    startup = IdChoiceFilter(queryset=Startup.objects.all(), widget=forms.HiddenInput)
    unassigned = django_filters.BooleanFilter(
        field_name="startup", lookup_expr="isnull", label="Assignment", widget=forms.Select(choices=ASSIGNED_CHOICES)
    )
    stalled = django_filters.BooleanFilter(
        method="filter_stalled", label="Stalled", widget=forms.Select(choices=STALLED_CHOICES)
    )
    late = django_filters.BooleanFilter(method="filter_late", label="Late", widget=forms.Select(choices=LATE_CHOICES))
    agent = IdChoiceFilter(queryset=User.objects.none(), label="Agent")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Whose", widget=forms.Select(choices=MINE_CHOICES))
    o = django_filters.OrderingFilter(
        fields=(
            ("legal_name", "name"),
            ("state", "state"),
            ("district", "district"),
            ("stage_entered_at", "in_stage_since"),
            ("current_stage__order", "stage"),
            ("last_activity_at", "last_work"),
            ("created_at", "added"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Exporter
        fields: list[str] = []

    # Startup users see one startup's exporters: choosing a startup or the pool means nothing to them.
    STAFF_ONLY = ("startup_name", "startup", "unassigned")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        membership = user.active_membership if user is not None and not user.is_programme_staff else None
        drop = self.STAFF_ONLY if membership else ("agent", "mine")
        if membership:
            team = User.objects.filter(memberships__startup_id=membership.startup_id, memberships__removed_at=None)
            self.filters["agent"].queryset = self.form.fields["agent"].queryset = team.distinct()
        for name in drop:
            self.filters.pop(name)
            self.form.fields.pop(name)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_stalled(self, queryset, name, value):
        return queryset.stalled(timezone.now()) if value else queryset

    def filter_late(self, queryset, name, value):
        return queryset.late(timezone.now()) if value else queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(agent=self.user) if value else queryset


class ActivityFilter(BootstrapFilterSet):
    # Typed, not chosen from thousands of startups; a startup's page links with its id.
    startup_name = django_filters.CharFilter(method=filter_by_startup_name, label="Startup")
    startup = IdChoiceFilter(queryset=Startup.objects.all(), widget=forms.HiddenInput)
    user = IdChoiceFilter(queryset=User.objects.all(), label="Logged by")
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices)
    since = day_filter("occurred_at", "gte", "From")
    until = day_filter("occurred_at", "lte", "To")

    class Meta:
        model = Activity
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The "logged by" choices are one startup's team: a startup user's own, or for
        # staff the team of the startup they picked (all members would be hundreds).
        staff = user.is_programme_staff
        startup_id = parse_id(self.data.get("startup")) if staff else user.active_membership.startup_id
        if not staff:
            for name in ("startup_name", "startup"):
                del self.form.fields[name]
        if startup_id:
            self.form.fields["user"].queryset = User.objects.filter(memberships__startup_id=startup_id).distinct()
        else:
            del self.form.fields["user"]


class ReminderFilter(BootstrapFilterSet):
    """The reminder log's filters: "was this startup told, and when?"."""

    startup_name = django_filters.CharFilter(method=filter_by_startup_name, label="Startup")
    startup = IdChoiceFilter(queryset=Startup.objects.all(), widget=forms.HiddenInput)
    kind = django_filters.ChoiceFilter(choices=ReminderKind.choices)
    status = django_filters.ChoiceFilter(choices=ReminderStatus.choices)
    date_from = day_filter("created_at", "gte", "From")
    date_to = day_filter("created_at", "lte", "To")

    class Meta:
        model = Reminder
        fields: list[str] = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A startup user sees only their own startup's reminders: no startup to choose.
        if request is not None and not request.user.is_programme_staff:
            for name in ("startup_name", "startup"):
                self.filters.pop(name)
                self.form.fields.pop(name)


WAITING_CHOICES = [("1", "Over 1 day"), ("3", "Over 3 days"), ("7", "Over 7 days")]
FILE_CHOICES = [("", "Any"), ("true", "With a file"), ("false", "Without a file")]
REVIEW_ORDER = {"oldest": ("submitted_at", "pk"), "newest": ("-submitted_at", "-pk")}


class ReviewFilter(BootstrapFilterSet):
    """The review queue's filters; every value outside its choices is a field error, ignored."""

    q = django_filters.CharFilter(method="filter_q", label="Exporter or GSTIN")
    stage = IdChoiceFilter(queryset=Stage.objects.all())
    startup_name = django_filters.CharFilter(method=filter_by_startup_name, label="Startup")
    startup = IdChoiceFilter(queryset=Startup.objects.all(), widget=forms.HiddenInput)
    state = django_filters.ChoiceFilter(field_name="exporter__state", choices=STATE_CHOICES)
    age = django_filters.ChoiceFilter(choices=WAITING_CHOICES, method="filter_age", label="Waiting")
    has_file = django_filters.BooleanFilter(
        method="filter_has_file", label="File", widget=forms.Select(choices=FILE_CHOICES)
    )
    sort = django_filters.ChoiceFilter(
        choices=[("oldest", "Oldest first"), ("newest", "Newest first")],
        method="filter_sort",
        label="Order",
        empty_label=None,
    )

    class Meta:
        model = StageEvent
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(exporter__in=Exporter.objects.search(value).order_by().values("pk"))

    def filter_age(self, queryset, name, value):
        return queryset.filter(submitted_at__lt=timezone.now() - timedelta(days=int(value)))

    def filter_has_file(self, queryset, name, value):
        return queryset.exclude(evidence_file="") if value else queryset.filter(evidence_file="")

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*REVIEW_ORDER[value])

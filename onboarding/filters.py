"""List filters for staff pages and the API (django-filter), the filter bars' widgets, and reading
ids from a request."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Case, Q, When
from django.forms.utils import flatatt, pretty_name
from django.forms.widgets import Input
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ChoiceField, ModelChoiceField, ModelChoiceIterator
from django_filters.widgets import BaseCSVWidget

from .control_characters import has_control_characters
from .forms.fields import ListedChoiceIterator
from .models import Activity, Commission, Exporter, Sector, Stage, StageEvent, Startup, User
from .models.activities import ActivityKind
from .models.commissions import CommissionStatus
from .models.exporters import ExporterStatus
from .models.outbox import MessageKind, MessageStatus, OutboxMessage
from .models.startups import StartupStatus
from .reference import STATE_CHOICES
from .reports.fraud_signals import SIGNAL_CHOICES, signalled
from .validators import ID_RE, MAX_ID, parse_id  # noqa: F401 (ID_RE, MAX_ID: imported from here too)

# The review queue's signal filter: claims with any fraud signal (or one kind, by its code).
ANY_SIGNAL = "any"
INVALID_ID = _("Enter an id: a whole number from 1 to 9223372036854775807.")


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


class StrictBooleanField(forms.NullBooleanField):
    """Yes or no as a program sends it: true/false (or 1/0); anything else is a field error, where
    Django's own field reads junk as "no filter" and the API would answer as if it were not sent."""

    VALUES = {"true": True, "1": True, "false": False, "0": False, "": None}

    def to_python(self, value):
        if value in (True, False, None):
            return value
        key = str(value).strip().lower()
        if key not in self.VALUES:
            raise ValidationError(_("Use true or false."), code="invalid")
        return self.VALUES[key]


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)  # a select's widget would read junk as None first
        super().__init__(*args, **kwargs)


class StageCodeFilter(django_filters.CharFilter):
    """A stage by its code (`?stage=contacted`): an unknown code matches nothing, as an unknown id
    does; one that cannot be a code (Stage.CODE_PATTERN) is a field error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "validators",
            [RegexValidator(r"\A[a-z][a-z0-9_]*\Z", _("A stage code is lower-case letters, digits and _."))],
        )
        super().__init__(*args, **kwargs)


# --- The filter bars' widgets, written in Python ------------------------------------------
# A list page renders its filter bar on every request. Django writes a select's every option
# through two templates, which was a quarter of a list page's time; these write the same HTML
# (tested equal to Django's) in Python. Each filter below names its widget.


class QuickSelect(forms.Select):
    """A select that writes its options in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        # What Django's optgroups() would choose, without its dict per option (about a tenth of
        # a filter bar's time): the first option whose value is chosen is selected.
        chosen, found = self.format_value(value), False
        options = []
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            group = option_label if isinstance(option_label, list | tuple) else [(option_value, option_label)]
            for subvalue, label in group:
                selected = (not found or self.allow_multiple_selected) and str(subvalue) in chosen
                found |= selected
                mark = " selected" if selected else ""
                options.append(OPTION.format(conditional_escape(subvalue), mark, conditional_escape(label)))
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), mark_safe("".join(options)))


OPTION = '<option value="{}"{}>{}</option>'


class QuickBooleanSelect(QuickSelect):
    """A yes/no filter's select. The form reads `1`, `true` and `True` alike (NullBooleanField),
    so the select shows each of them as its "true" option, the one spelling links use: a
    link with `late=1` once showed "Late: Any" above a list filtered late."""

    SPELLINGS = {"1": "true", "True": "true", True: "true", "0": "false", "False": "false", False: "false"}

    def format_value(self, value):
        if isinstance(value, str | bool):
            value = self.SPELLINGS.get(value, value)
        return super().format_value(value)


class QuickInput(Input):
    """An <input> written in Python, as Django's template would write it."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html('<input type="{}" name="{}"{}{}>', widget["type"], name, flatatt(widget["attrs"]), shown)


class QuickTextInput(QuickInput, forms.TextInput):
    pass


class QuickHiddenInput(QuickInput, forms.HiddenInput):
    pass


class QuickDateInput(QuickInput, forms.DateInput):
    pass


class QuickCSVSelect(BaseCSVWidget, QuickSelect):
    """django-filter's sort select (one value, or several joined by commas), options in Python."""


class FilterChoiceIterator(ListedChoiceIterator, ModelChoiceIterator):
    """A filter bar's choices in one plain query, django-filter's "none" choice (and count) kept."""

    def leading(self) -> list[tuple]:
        null = [(self.field.null_value, self.field.null_label)] if self.field.null_label is not None else []
        return super().leading() + null


class IdChoiceField(ModelChoiceField):
    iterator = FilterChoiceIterator
    widget = QuickSelect

    def to_python(self, value):
        if value not in self.empty_values and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter by primary key that refuses junk before it reaches the database."""

    field_class = IdChoiceField


ASSIGNED_CHOICES = [("", _("Any")), ("true", _("Unassigned")), ("false", _("Assigned"))]
STALLED_CHOICES = [("", _("Any")), ("true", _("Stalled only"))]
LATE_CHOICES = [("", _("Any")), ("true", _("Past the SLA"))]


# --- The startup pair: a typed `startup_name` and the hidden `startup` id -----------------
# A select of every startup would be thousands of options: staff type part of a name, and
# links from a startup's page carry its id in the hidden field. The filter bar then writes
# that startup's name in the box, so the box always says which startup the list shows.
STARTUP_PAIR = ("startup_name", "startup")


def startup_name_q(value: str, prefix: str = "") -> Q:
    """Startups (or, with prefix "startup__", rows of startups) whose brand or legal name holds `value`."""
    return Q(**{f"{prefix}brand_name__icontains": value}) | Q(**{f"{prefix}legal_name__icontains": value})


def filter_by_startup_name(queryset, name, value):
    return queryset.filter(startup_name_q(value, "startup__"))


def keeps_startup(data, startup: Startup) -> bool:
    """The pair's rule: the id holds while the box still shows that startup's name (or a link
    sent no name at all). A name typed over it, or a box emptied, asks for that instead."""
    if "startup_name" not in data:
        return True
    return (data.get("startup_name") or "").strip() == str(startup)


def startup_name_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method=filter_by_startup_name,
        label=_("Startup"),
        widget=QuickTextInput(attrs={"placeholder": _("Type part of a name"), "autocomplete": "off"}),
    )


def startup_id_filter() -> IdChoiceFilter:
    return IdChoiceFilter(queryset=Startup.objects.all(), label=_("Startup"), widget=QuickHiddenInput)


class StartupPairForm(forms.Form):
    """Every filter bar's form: where it has the startup pair, `keeps_startup` picks one of the two."""

    def clean(self):
        cleaned = super().clean()
        startup = cleaned.get("startup")
        if "startup_name" not in self.fields or not startup:
            return cleaned
        # Rewritten data, because the bar is rendered from it: the kept startup's name in the
        # box, or no stale id left in the hidden field to come back with the next search.
        data = self.data.copy()
        if keeps_startup(self.data, startup):
            cleaned["startup_name"] = ""  # the id alone filters; the name is only shown
            data["startup_name"] = str(startup)
        else:
            cleaned["startup"] = None
            data.pop("startup", None)
        self.data = data
        return cleaned


def drop_fields(filterset: django_filters.FilterSet, names: Iterable[str]) -> None:
    """Take filters out of a filter set and its form (e.g. the staff-only ones for a startup user)."""
    for name in names:
        filterset.filters.pop(name, None)
        filterset.form.fields.pop(name, None)


class BootstrapFilterSet(django_filters.FilterSet):
    """Filter forms are rendered by hand (not crispy): a list page renders its filter
    bar on every request, and crispy's per-option templates cost more than the query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if hasattr(field, "empty_label") and field.empty_label is not None:
                field.empty_label = _("Any")
                if isinstance(field, ChoiceField):
                    # The widget's copy of the choices reads the class's field, not this form's
                    # copy: point it at this field so its empty option says "Any" in the page's language.
                    field.widget.choices = field.choices

    # A page's bar keeps the box and the hidden id in step by `keeps_startup`; an API client
    # has no box, and its filters all apply together (ExporterApiFilter turns this off).
    startup_pair_rule = True

    def get_form_class(self):
        form = super().get_form_class()
        return type(form.__name__, (StartupPairForm, form), {}) if self.startup_pair_rule else form

    def narrows(self) -> bool:
        """Whether a filter with a value narrows the list (an order alone does not)."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # cleans the form once; the list's queryset reads the same result
        return any(value not in (None, "", [], ()) for name, value in self.form.cleaned_data.items() if name != "sort")

    def chosen_startup(self) -> Startup | None:
        """The startup the pair narrows the list to; None for every startup or a typed name."""
        if not self.is_bound or "startup" not in self.form.fields:
            return None
        self.form.is_valid()  # cleans the form once; the list's queryset reads the same result
        return self.form.cleaned_data.get("startup")


def day_filter(field: str, lookup: str, label: str) -> django_filters.DateFilter:
    """A date box filtering a datetime field by its (local) day."""
    return django_filters.DateFilter(
        field_name=field, lookup_expr=f"date__{lookup}", label=label, widget=QuickDateInput(attrs={"type": "date"})
    )


class StartupFilter(BootstrapFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"), widget=QuickTextInput)
    status = django_filters.ChoiceFilter(choices=StartupStatus.choices, label=_("Status"), widget=QuickSelect)
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, label=_("State"), widget=QuickSelect)
    sector = IdChoiceFilter(field_name="sectors", queryset=Sector.objects.all(), label=_("Sectors"))

    class Meta:
        model = Startup
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


# "Name (descending)", worded when shown (lazy), in the page's language.
descending_words = lazy(lambda label: gettext("%s (descending)") % label, str)


class SortFilter(django_filters.OrderingFilter):
    """django-filter's sort, whose "(descending)" labels it words once, in English, when the
    filter class is made: here they are worded when the page is shown."""

    def build_choices(self, fields, labels):
        ascending = [(param, labels.get(field, pretty_name(param))) for field, param in fields.items()]
        descending = [(f"-{param}", labels.get(f"-{param}", descending_words(label))) for param, label in ascending]
        return [choice for pair in zip(ascending, descending, strict=True) for choice in pair]


class ExporterFilter(BootstrapFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"), widget=QuickTextInput)
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, label=_("State"), widget=QuickSelect)
    district = django_filters.CharFilter(lookup_expr="iexact", label=_("District"), widget=QuickTextInput)
    status = django_filters.ChoiceFilter(choices=ExporterStatus.choices, label=_("Status"), widget=QuickSelect)
    stage = IdChoiceFilter(field_name="current_stage", queryset=Stage.objects.all(), label=_("Current stage"))
    sector = IdChoiceFilter(queryset=Sector.objects.all(), label=_("Sector"))
    startup_name = startup_name_filter()
    startup = startup_id_filter()
    unassigned = django_filters.BooleanFilter(
        field_name="startup",
        lookup_expr="isnull",
        label=_("Assignment"),
        widget=QuickBooleanSelect(choices=ASSIGNED_CHOICES),
    )
    stalled = django_filters.BooleanFilter(
        method="filter_stalled", label=_("Stalled"), widget=QuickBooleanSelect(choices=STALLED_CHOICES)
    )
    late = django_filters.BooleanFilter(
        method="filter_late", label=_("Late"), widget=QuickBooleanSelect(choices=LATE_CHOICES)
    )
    agent = IdChoiceFilter(queryset=User.objects.none(), label=_("Agent"))
    # The scope (all of the startup's, or mine) has one control of its own above the list
    # (views/scope.py); the form carries it hidden so that Apply keeps it.
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Whose"), widget=QuickHiddenInput)
    o = SortFilter(
        fields=(
            ("legal_name", "name"),
            ("state", "state"),
            ("district", "district"),
            ("stage_entered_at", "in_stage_since"),
            ("current_stage__order", "stage"),
            ("last_activity_at", "last_work"),
            ("created_at", "added"),
        ),
        field_labels={
            "legal_name": _("Name"),
            "state": _("State"),
            "district": _("District"),
            "stage_entered_at": _("In stage since"),
            "current_stage__order": _("Stage"),
            "last_activity_at": _("Last work"),
            "created_at": _("Added"),
        },
        label=_("Sort by"),
        widget=QuickCSVSelect,
    )

    class Meta:
        model = Exporter
        fields: list[str] = []

    # Startup users see one startup's exporters: choosing a startup or the pool means nothing to them.
    STAFF_ONLY = (*STARTUP_PAIR, "unassigned")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        membership = user.active_membership if user is not None and not user.is_programme_staff else None
        drop = self.STAFF_ONLY if membership else ("agent", "mine")
        if membership:
            team = User.objects.filter(memberships__startup_id=membership.startup_id, memberships__removed_at=None)
            self.filters["agent"].queryset = self.form.fields["agent"].queryset = team.distinct()
        drop_fields(self, drop)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_stalled(self, queryset, name, value):
        return queryset.stalled(timezone.now()) if value else queryset

    def filter_late(self, queryset, name, value):
        return queryset.late(timezone.now()) if value else queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(agent=self.user) if value else queryset


class ActivityFilter(BootstrapFilterSet):
    startup_name = startup_name_filter()
    startup = startup_id_filter()
    user = IdChoiceFilter(queryset=User.objects.all(), label=_("Logged by"))
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, label=_("Kind"), widget=QuickSelect)
    since = day_filter("occurred_at", "gte", _("From"))
    until = day_filter("occurred_at", "lte", _("To"))

    class Meta:
        model = Activity
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The "logged by" choices are one startup's team: a startup user's own, or for
        # staff the team of the startup they picked or named (all members would be hundreds).
        staff = user.is_programme_staff
        startup_id = self._named_startup_id() if staff else user.active_membership.startup_id
        if not staff:
            drop_fields(self, STARTUP_PAIR)
        if startup_id:
            self.form.fields["user"].queryset = User.objects.filter(memberships__startup_id=startup_id).distinct()
        else:
            drop_fields(self, ["user"])

    def _named_startup_id(self) -> int | None:
        return named_startup_id(self.data)


def named_startup_id(data) -> int | None:
    """The one startup a filter bar's pair names (`keeps_startup`'s answer, read before the form
    is cleaned): the linked id, or the only startup a typed name matches. One query of at most
    two rows when a name is typed, none for a link."""
    startup_id = parse_id(data.get("startup"))
    if "startup_name" not in data:
        return startup_id
    name = (data.get("startup_name") or "").strip()
    if not name or has_control_characters(name):  # the form then says what is wrong with it
        return None
    named = Startup.objects.filter(startup_name_q(name)).only("brand_name", "legal_name")
    if startup_id:  # the linked startup first: does the box still show its name?
        named = named.order_by(Case(When(pk=startup_id, then=0), default=1))
    rows = list(named[:2])
    if rows and rows[0].pk == startup_id and keeps_startup(data, rows[0]):
        return startup_id
    return rows[0].pk if len(rows) == 1 else None


class BoardFilter(BootstrapFilterSet):
    """The board's filters: staff narrow it to a startup (then to one of its agents), a startup's
    people to an agent of theirs; everyone to the exporters of one state."""

    startup_name = startup_name_filter()
    startup = startup_id_filter()
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, label=_("Exporter's state"), widget=QuickSelect)
    agent = IdChoiceFilter(queryset=User.objects.none(), label=_("Agent"))

    class Meta:
        model = Exporter
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        staff = user.is_programme_staff
        startup_id = named_startup_id(self.data) if staff else user.active_membership.startup_id
        if not staff:
            drop_fields(self, STARTUP_PAIR)
        if startup_id:  # one startup's team: every member of every startup would be thousands
            team = User.objects.filter(memberships__startup_id=startup_id, memberships__removed_at=None)
            self.filters["agent"].queryset = self.form.fields["agent"].queryset = team.distinct()
        else:
            drop_fields(self, ["agent"])

    def narrowed(self) -> bool:
        """Whether any filter applies (the unfiltered programme's counts come from the summary)."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # cleans once; the queryset reads the same result
        return any(value not in (None, "") for value in self.form.cleaned_data.values())


# "Not delivered": every status that counts as such (unconfirmed, failed, undeliverable).
NOT_DELIVERED = "undelivered"
OUTBOX_STATUS_CHOICES = [(NOT_DELIVERED, _("Not delivered (any)")), *MessageStatus.choices]


class OutboxFilter(BootstrapFilterSet):
    """The outbox's filters: "was this startup told, and when?"."""

    startup_name = startup_name_filter()
    startup = startup_id_filter()
    kind = django_filters.ChoiceFilter(choices=MessageKind.choices, label=_("Kind"), widget=QuickSelect)
    status = django_filters.ChoiceFilter(
        choices=OUTBOX_STATUS_CHOICES, method="filter_status", label=_("Status"), widget=QuickSelect
    )
    date_from = day_filter("created_at", "gte", _("From"))
    date_to = day_filter("created_at", "lte", _("To"))

    class Meta:
        model = OutboxMessage
        fields: list[str] = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A startup user sees only their own startup's reminders: no startup to choose.
        if request is not None and not request.user.is_programme_staff:
            drop_fields(self, STARTUP_PAIR)

    def filter_status(self, queryset, name, value):
        return queryset.undelivered() if value == NOT_DELIVERED else queryset.filter(status=value)


WAITING_CHOICES = [("1", _("Over 1 day")), ("3", _("Over 3 days")), ("7", _("Over 7 days"))]
FILE_CHOICES = [("", _("Any")), ("true", _("With a file")), ("false", _("Without a file"))]
REVIEW_ORDER = {"oldest": ("submitted_at", "pk"), "newest": ("-submitted_at", "-pk")}


class ReviewFilter(BootstrapFilterSet):
    """The review queue's filters; every value outside its choices is a field error, ignored."""

    q = django_filters.CharFilter(method="filter_q", label=_("Exporter or GSTIN"), widget=QuickTextInput)
    stage = IdChoiceFilter(queryset=Stage.objects.all(), label=_("Stage"))
    startup_name = startup_name_filter()
    startup = startup_id_filter()
    state = django_filters.ChoiceFilter(
        field_name="exporter__state", choices=STATE_CHOICES, label=_("Exporter state"), widget=QuickSelect
    )
    age = django_filters.ChoiceFilter(
        choices=WAITING_CHOICES, method="filter_age", label=_("Waiting"), widget=QuickSelect
    )
    has_file = django_filters.BooleanFilter(
        method="filter_has_file", label=_("File"), widget=QuickBooleanSelect(choices=FILE_CHOICES)
    )
    # After the other filters: the signals are worked out over the claims they leave.
    signal = django_filters.ChoiceFilter(
        choices=[(ANY_SIGNAL, _("Any signal")), *SIGNAL_CHOICES],
        method="filter_signal",
        label=_("Fraud signals"),
        widget=QuickSelect,
    )
    sort = django_filters.ChoiceFilter(
        choices=[("oldest", _("Oldest first")), ("newest", _("Newest first"))],
        method="filter_sort",
        label=_("Order"),
        empty_label=None,
        widget=QuickSelect,
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

    def filter_signal(self, queryset, name, value):
        found = signalled(queryset, only="" if value == ANY_SIGNAL else value)
        return queryset.filter(pk__in=[event.pk for event in found])

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*REVIEW_ORDER[value])


class CommissionFilter(BootstrapFilterSet):
    """The commission statement's filters; its totals apply them to CommissionTotal: see _statement_totals."""

    startup_name = startup_name_filter()
    startup = startup_id_filter()
    status = django_filters.ChoiceFilter(choices=CommissionStatus.choices, label=_("Status"), widget=QuickSelect)

    class Meta:
        model = Commission
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_programme_staff:  # a startup's own statement: no startup to choose
            drop_fields(self, STARTUP_PAIR)

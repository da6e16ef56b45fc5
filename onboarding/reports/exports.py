"""What each list exports: its columns, read with `values_list` (no model instances), so a
100,000-row download streams in constant memory.

A Column names the model paths it reads and how they become one cell; `export_rows` runs
one query over all of a list's paths and yields plain rows for the writers in spreadsheets/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.activities import OUTCOME_KINDS, OUTCOME_NOT_RECORDED, ActivityKind, ContactOutcome
from ..models.assignments import AssignedHow, EndReason
from ..models.commissions import CommissionStatus
from ..models.exporters import ExporterStatus
from ..models.outbox import MessageKind, MessageStatus
from ..models.stages import StageEventStatus
from ..models.startups import StartupStatus
from ..reference import state_name
from ..validators import country_name

CHUNK_ROWS = 2000  # rows fetched per round trip (a server-side cursor on PostgreSQL)
OUTCOME_LABELS = dict(ContactOutcome.choices)


@dataclass(frozen=True)
class Column:
    """One exported column: its header, the paths it reads, how they make the cell."""

    label: str  # translatable (gettext_lazy): str(label) is the header in the language of the request
    paths: tuple[str, ...]
    show: Callable[..., object] | None = None
    text: bool = False  # Excel's Text format: GSTINs, PINs and mobiles keep every digit


def col(label: str, *paths: str, show: Callable[..., object] | None = None, text: bool = False) -> Column:
    return Column(label, paths, show, text)


class Choice:
    """A stored code as its label ("call" → "Phone call"); export_sql.py writes the same labels
    in SQL."""

    __slots__ = ("labels",)

    def __init__(self, choices):
        self.labels = dict(choices)

    def __call__(self, value: object) -> object:
        return str(self.labels[value]) if value in self.labels else value  # the label in the current language


def choice(choices) -> Choice:
    return Choice(choices)


def name_of(brand: str, legal: str) -> str:
    """A startup as people call it: its brand, else its legal name."""
    return brand or legal or ""


def person(first: str, last: str, email: str) -> str:
    return f"{first or ''} {last or ''}".strip() or email or ""


def outcome_words(kind: str, outcome: str) -> str:
    """How a call or visit went, as Activity.outcome_words says it (empty for other work)."""
    if kind not in OUTCOME_KINDS:
        return ""
    return str(OUTCOME_LABELS.get(outcome, outcome)) if outcome else str(OUTCOME_NOT_RECORDED)


def country_names(codes) -> str:
    """Market codes as the countries' names: ["AE", "US"] → "United Arab Emirates; United States"."""
    return "; ".join(country_name(code) for code in codes or ())


def stage_words(name: str) -> str:
    """A stage's name in the current language, as Stage.__str__ shows it."""
    return _(name) if name else name


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def export_paths(columns: Sequence[Column]) -> list[str]:
    """Every model path the columns read, each once, in order: what the export's one query selects
    (`manage.py bench` copies the same out of PostgreSQL to compare)."""
    return list(dict.fromkeys(path for column in columns for path in column.paths))


def export_rows(queryset, columns: Sequence[Column], chunk: int = CHUNK_ROWS) -> Iterator[list]:
    """The queryset's rows as cells of `columns`: one query, fetched `chunk` rows at a time."""
    paths = export_paths(columns)
    getters = [_getter(column, [paths.index(path) for path in column.paths]) for column in columns]
    for values in queryset.values_list(*paths).iterator(chunk_size=chunk):
        yield [get(values) for get in getters]


def _getter(column: Column, where: list[int]) -> Callable[[tuple], object]:
    """How one column's cell comes out of a row of values: a plain column is an itemgetter
    (no Python call per cell; a 100,000-row export has two million cells)."""
    pick, show = itemgetter(*where), column.show
    if show is None:
        return pick if len(where) == 1 else lambda values: " ".join(str(v) for v in pick(values) if v)
    return (lambda values: show(pick(values))) if len(where) == 1 else (lambda values: show(*pick(values)))


def plain_date(when):
    """A timestamp's local day, for ledgers read by accountants (the time is noise there)."""
    return timezone.localtime(when).date() if when else None


STARTUP = ("startup__brand_name", "startup__legal_name")
WHO = ("user__first_name", "user__last_name", "user__email")

EXPORTERS = [
    col("GSTIN", "gstin", text=True),
    col(gettext_lazy("Legal name"), "legal_name"),
    col(gettext_lazy("Trade name"), "trade_name"),
    col("PAN", "pan", text=True),
    col("IEC", "iec", text=True),
    col(gettext_lazy("State"), "state", show=state_name),
    col(gettext_lazy("District"), "district"),
    col(gettext_lazy("PIN code"), "pin_code", text=True),
    col(gettext_lazy("Contact"), "contact_name"),
    col(gettext_lazy("Mobile"), "contact_mobile", text=True),
    col(gettext_lazy("Sector"), "sector__name"),
    col(gettext_lazy("Products (HS)"), "products"),
    col(gettext_lazy("Target markets"), "target_markets", show=country_names),
    col(gettext_lazy("Stage"), "current_stage__name", show=stage_words),
    col(gettext_lazy("In stage since"), "stage_entered_at"),
    col(gettext_lazy("Startup"), *STARTUP, show=name_of),
    col(gettext_lazy("Status"), "status", show=choice(ExporterStatus.choices)),
    col(gettext_lazy("Listed products"), "products_listed"),
    col(gettext_lazy("Last activity"), "last_activity_at"),
    col(gettext_lazy("Added"), "created_at"),
]

STARTUPS = [
    col(gettext_lazy("Legal name"), "legal_name"),
    col(gettext_lazy("Brand"), "brand_name"),
    col(gettext_lazy("DPIIT number"), "dpiit_number", text=True),
    col(gettext_lazy("State"), "state", show=state_name),
    col(gettext_lazy("City"), "city"),
    col(gettext_lazy("Contact"), "contact_name"),
    col(gettext_lazy("Mobile"), "contact_mobile", text=True),
    col(gettext_lazy("Status"), "status", show=choice(StartupStatus.choices)),
    col(gettext_lazy("Accepting assignments"), "accepting_assignments", show=yes_no),
    col(gettext_lazy("Capacity"), "capacity"),
    col(gettext_lazy("Open exporters"), "open_exporters"),
    col(gettext_lazy("Registered"), "created_at"),
]

ACTIVITIES = [
    col(gettext_lazy("When"), "occurred_at"),
    col(gettext_lazy("Startup"), *STARTUP, show=name_of),
    col(gettext_lazy("Exporter"), "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col(gettext_lazy("Kind"), "kind", show=choice(ActivityKind.choices)),
    col(gettext_lazy("Outcome"), "kind", "outcome", show=outcome_words),
    col(gettext_lazy("Minutes"), "duration_minutes"),
    col(gettext_lazy("Logged by"), *WHO, show=person),
    col(gettext_lazy("Note"), "note"),
    col(gettext_lazy("File"), "attachment_name"),
]

REVIEWS = [
    col(gettext_lazy("Submitted"), "submitted_at"),
    col(gettext_lazy("Exporter"), "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col(gettext_lazy("Startup"), *STARTUP, show=name_of),
    col(gettext_lazy("Stage"), "stage__name", show=stage_words),
    col(
        gettext_lazy("Submitted by"),
        "submitted_by__first_name",
        "submitted_by__last_name",
        "submitted_by__email",
        show=person,
    ),
    col(gettext_lazy("Status"), "status", show=choice(StageEventStatus.choices)),
    col(gettext_lazy("Evidence link"), "evidence_url"),
    col(gettext_lazy("Evidence number"), "evidence_number"),
    col(gettext_lazy("Evidence reference"), "evidence_reference"),
    col(gettext_lazy("Evidence amount"), "evidence_amount"),
    col(gettext_lazy("Evidence date"), "evidence_date"),
    col(gettext_lazy("Note"), "note"),
]

COMMISSIONS = [
    col(gettext_lazy("Date"), "created_at", show=plain_date),
    col(gettext_lazy("Startup"), *STARTUP, show=name_of),
    col(gettext_lazy("Exporter"), "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col(gettext_lazy("Stage"), "stage__name", show=stage_words),
    col(gettext_lazy("Amount (INR)"), "amount"),
    col(gettext_lazy("Status"), "status", show=choice(CommissionStatus.choices)),
    col(gettext_lazy("Payment reference"), "payment_reference"),
    col(gettext_lazy("Note"), "note"),
]

OUTBOX = [
    col(gettext_lazy("Created"), "created_at"),
    col(gettext_lazy("Kind"), "kind", show=choice(MessageKind.choices)),
    col(gettext_lazy("Recipient"), "recipient__first_name", "recipient__last_name", "recipient__email", show=person),
    col(gettext_lazy("Email"), "recipient__email"),
    col(gettext_lazy("Startup"), *STARTUP, show=name_of),
    col(gettext_lazy("Subject"), "subject"),
    col(gettext_lazy("Exporters"), "exporter_count"),
    col(gettext_lazy("Status"), "status", show=choice(MessageStatus.choices)),
    col(gettext_lazy("Attempts"), "attempts"),
    col(gettext_lazy("Sent"), "sent_at"),
]

ASSIGNMENTS = [
    col(gettext_lazy("Assigned"), "assigned_at"),
    col(gettext_lazy("Exporter"), "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col(gettext_lazy("Startup"), *STARTUP, show=name_of),
    col(gettext_lazy("How"), "how", show=choice(AssignedHow.choices)),
    col(gettext_lazy("Why"), "why"),
    col(
        gettext_lazy("Assigned by"),
        "assigned_by__first_name",
        "assigned_by__last_name",
        "assigned_by__email",
        show=person,
    ),
    col(gettext_lazy("Ended"), "ended_at"),
    col(gettext_lazy("End reason"), "end_reason", show=choice(EndReason.choices)),
    col(gettext_lazy("End note"), "end_note"),
]

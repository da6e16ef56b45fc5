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

    label: str
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
        return self.labels.get(value, value)


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
    return OUTCOME_LABELS.get(outcome, outcome) if outcome else OUTCOME_NOT_RECORDED


def country_names(codes) -> str:
    """Market codes as the countries' names: ["AE", "US"] → "United Arab Emirates; United States"."""
    return "; ".join(country_name(code) for code in codes or ())


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


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
    col("Legal name", "legal_name"),
    col("Trade name", "trade_name"),
    col("PAN", "pan", text=True),
    col("IEC", "iec", text=True),
    col("State", "state", show=state_name),
    col("District", "district"),
    col("PIN code", "pin_code", text=True),
    col("Contact", "contact_name"),
    col("Mobile", "contact_mobile", text=True),
    col("Sector", "sector__name"),
    col("Products (HS)", "products"),
    col("Target markets", "target_markets", show=country_names),
    col("Stage", "current_stage__name"),
    col("In stage since", "stage_entered_at"),
    col("Startup", *STARTUP, show=name_of),
    col("Status", "status", show=choice(ExporterStatus.choices)),
    col("Listed products", "products_listed"),
    col("Last activity", "last_activity_at"),
    col("Added", "created_at"),
]

STARTUPS = [
    col("Legal name", "legal_name"),
    col("Brand", "brand_name"),
    col("DPIIT number", "dpiit_number", text=True),
    col("State", "state", show=state_name),
    col("City", "city"),
    col("Contact", "contact_name"),
    col("Mobile", "contact_mobile", text=True),
    col("Status", "status", show=choice(StartupStatus.choices)),
    col("Accepting assignments", "accepting_assignments", show=yes_no),
    col("Capacity", "capacity"),
    col("Open exporters", "open_exporters"),
    col("Registered", "created_at"),
]

ACTIVITIES = [
    col("When", "occurred_at"),
    col("Startup", *STARTUP, show=name_of),
    col("Exporter", "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col("Kind", "kind", show=choice(ActivityKind.choices)),
    col("Outcome", "kind", "outcome", show=outcome_words),
    col("Minutes", "duration_minutes"),
    col("Logged by", *WHO, show=person),
    col("Note", "note"),
    col("File", "attachment_name"),
]

REVIEWS = [
    col("Submitted", "submitted_at"),
    col("Exporter", "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col("Startup", *STARTUP, show=name_of),
    col("Stage", "stage__name"),
    col("Submitted by", "submitted_by__first_name", "submitted_by__last_name", "submitted_by__email", show=person),
    col("Status", "status", show=choice(StageEventStatus.choices)),
    col("Evidence link", "evidence_url"),
    col("Evidence number", "evidence_number"),
    col("Evidence reference", "evidence_reference"),
    col("Evidence amount", "evidence_amount"),
    col("Evidence date", "evidence_date"),
    col("Note", "note"),
]

COMMISSIONS = [
    col("Date", "created_at", show=plain_date),
    col("Startup", *STARTUP, show=name_of),
    col("Exporter", "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col("Stage", "stage__name"),
    col("Amount (INR)", "amount"),
    col("Status", "status", show=choice(CommissionStatus.choices)),
    col("Payment reference", "payment_reference"),
    col("Note", "note"),
]

OUTBOX = [
    col("Created", "created_at"),
    col("Kind", "kind", show=choice(MessageKind.choices)),
    col("Recipient", "recipient__first_name", "recipient__last_name", "recipient__email", show=person),
    col("Email", "recipient__email"),
    col("Startup", *STARTUP, show=name_of),
    col("Subject", "subject"),
    col("Exporters", "exporter_count"),
    col("Status", "status", show=choice(MessageStatus.choices)),
    col("Attempts", "attempts"),
    col("Sent", "sent_at"),
]

ASSIGNMENTS = [
    col("Assigned", "assigned_at"),
    col("Exporter", "exporter__legal_name"),
    col("GSTIN", "exporter__gstin", text=True),
    col("Startup", *STARTUP, show=name_of),
    col("How", "how", show=choice(AssignedHow.choices)),
    col("Why", "why"),
    col("Assigned by", "assigned_by__first_name", "assigned_by__last_name", "assigned_by__email", show=person),
    col("Ended", "ended_at"),
    col("End reason", "end_reason", show=choice(EndReason.choices)),
    col("End note", "end_note"),
]

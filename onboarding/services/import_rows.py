"""An import's rows, each judged by ExporterForm, and judged again at commit only where that could change.

Every row goes through ExporterForm against the database and the rows above it (duplicates
within the file), and what its verdict depended on is noted with it: the registered exporter
it would update (a digest of its fields) and each duplicate look-up the form made through
KnownExporters, with the answer. The commit walks the rows again in file order against the
database as it is then: a row whose exporter and look-ups all answer as they did gets the
same verdict from the same form, so the stored one is used; any other row (an exporter
changed since, a GSTIN or a PAN registered since, a row above that now claims differently)
goes through ExporterForm again. The form stays the only judge.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from django.forms.models import model_to_dict

from ..bulk import instance_maker
from ..forms.exporters import ExporterForm, KnownExporters
from ..forms.imports import Row, Table, changes_between, merged_list
from ..models import Exporter, Sector
from ..models.imports import ImportRow, RowOutcome
from ..validators import compact
from .exporters import exporter_derived_fields

CHUNK = 500  # rows per existing-exporter lookup and per progress update
MAX_STORED_ERRORS = 10_000  # the error list kept on the batch (and in its CSV); the counts are always exact
FORM_FIELDS = ExporterForm._meta.fields
# Lists a row adds to (unless the batch replaces lists): re-importing ['5208'] for an exporter
# with ['5208', '630710'] must not silently drop 630710.
LIST_FIELDS = ("products", "target_markets")


@dataclass(slots=True)
class Checked:
    """One file row as ExporterForm judged it, with what that verdict depended on."""

    number: int  # as the spreadsheet numbers it
    outcome: str  # a RowOutcome
    gstin: str  # the GSTIN and name cells as typed, for the preview
    name: str
    key: str  # the GSTIN cell compacted: the registered exporter the row would update
    data: dict | None = None  # a valid row's exporter fields, PAN, IEC, state and sector derived
    errors: list[dict] = field(default_factory=list)  # [{row, column, value, message}]
    changes: list[list[str]] = field(default_factory=list)  # an update's [label, old, new], for the preview
    reads: list = field(default_factory=list)  # the form's duplicate look-ups: [kind, key, [gstin, pk, row] | None]
    claimed: str | None = None  # the GSTIN the row holds against the rows after it
    seen: str = ""  # digest of the registered exporter the row was judged against ("" for none)
    instance: Exporter | None = None  # that exporter, as loaded by this pass

    def preview(self, batch_id: int) -> ImportRow:
        """The row as the batch's preview lists it (unsaved)."""
        return _import_row_maker()(
            batch_id=batch_id,
            number=self.number,
            outcome=self.outcome,
            gstin=self.gstin,
            name=self.name,
            changes=self.changes,
            messages=[[error["column"], error["message"]] for error in self.errors],
        )


@cache
def _import_row_maker():
    """ImportRow without Model.__init__ and its foreign-key descriptor: one per file row."""
    return instance_maker(ImportRow)


class Valid(NamedTuple):
    """A valid row, as the write needs it."""

    outcome: str
    data: dict
    instance: Exporter | None


@dataclass
class Report:
    """What checking a file found: counts by outcome, every error by row and column, and (when
    kept, for writing) the valid rows."""

    keep_valid: bool = False
    valid: list[Valid] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, checked: Checked) -> None:
        self.outcomes[checked.outcome] += 1
        if checked.outcome == RowOutcome.ERROR:
            self.errors.extend(checked.errors[: MAX_STORED_ERRORS - len(self.errors)])
        elif self.keep_valid:  # only what writing needs: 100,000 rows are held until the write
            self.valid.append(Valid(checked.outcome, checked.data, checked.instance))

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def error_rows(self) -> int:
        return self.outcomes[RowOutcome.ERROR]

    def count(self, action: str) -> int:
        return self.outcomes[action]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new_count": self.count(RowOutcome.NEW),
            "update_count": self.count(RowOutcome.UPDATE),
            "unchanged_count": self.count(RowOutcome.UNCHANGED),
            "error_count": self.error_rows,
        }


class Checker:
    """Judges rows in file order: the registered exporters plus the rows already judged."""

    def __init__(self, *, replace_lists: bool) -> None:
        self.known = KnownExporters()
        self.sectors = {s.code: s for s in Sector.objects.all()}
        self.sectors_by_pk = {s.pk: s for s in self.sectors.values()}
        self.replace_lists = replace_lists

    def check(self, row: Row, instance: Exporter | None, table: Table) -> Checked:
        """Run the row through ExporterForm, noting what the verdict depended on."""
        self.known.reads = reads = []
        # The form works on a copy: the stored values stay on `instance` to compare and update.
        form = ExporterForm(_form_data(row.values, instance), instance=copy.copy(instance), known=self.known)
        valid = form.is_valid()
        self.known.reads = None
        checked = Checked(
            number=row.number,
            outcome=RowOutcome.ERROR,
            gstin=row.values.get("gstin", "")[:40],
            name=row.values.get("legal_name", "")[:200],
            key=compact(row.values.get("gstin")),
            reads=[[kind, key, _claim(claim)] for kind, key, claim in reads],
            seen=snapshot(instance),
            instance=instance,
        )
        if gstin := form.cleaned_data.get("gstin"):
            self._claim(checked, gstin)
        errors = list(row.errors)
        if not valid:  # a cell refused while reading (a formula) is not also "required"
            read = {name for name, _message in errors}
            errors += [(n, m) for n, messages in form.errors.items() if n not in read for m in messages]
        if errors:
            checked.errors = [_error(row, table, name, message) for name, message in errors]
            return checked
        cleaned = dict(form.cleaned_data)
        if instance is not None and not self.replace_lists:
            for name in LIST_FIELDS:
                cleaned[name] = merged_list(getattr(instance, name), cleaned.get(name))
        checked.data = exporter_derived_fields(cleaned, sectors_by_code=self.sectors)
        checked.changes = changes_between(instance, checked.data) if instance is not None else []
        if instance is None:
            checked.outcome = RowOutcome.NEW
        else:
            checked.outcome = RowOutcome.UPDATE if checked.changes else RowOutcome.UNCHANGED
        return checked

    def still_holds(self, stored: Checked, instance: Exporter | None) -> bool:
        """Whether a row's stored verdict stands: its exporter unchanged and every look-up answered
        as before. If so the row claims its GSTIN again, as the form would have."""
        if snapshot(instance) != stored.seen:
            return False
        if any(_claim(self.known.answer(kind, key)) != claim for kind, key, claim in stored.reads):
            return False
        stored.instance = instance
        if stored.claimed:
            self._claim(stored, stored.claimed)
        return True

    def existing(self, gstins: Iterable[str]) -> dict[str, Exporter]:
        """The registered exporters with these GSTINs, read with what their rows' duplicate
        checks will ask: one query a chunk of rows."""
        return self.known.fetch(gstins)

    def _claim(self, checked: Checked, gstin: str) -> None:
        checked.claimed = gstin
        self.known.claim_row(row=checked.number, gstin=gstin, pk=checked.instance.pk if checked.instance else None)


def check_table(table: Table, checker: Checker) -> Iterator[list[Checked]]:
    """Judge every row of the file, a chunk at a time."""
    for chunk in chunked(table.rows(), CHUNK):
        existing = checker.existing(compact(row.values.get("gstin")) for row in chunk)
        yield [checker.check(row, existing.get(compact(row.values.get("gstin"))), table) for row in chunk]


def check_again(
    stored: Iterable[list[Checked]], table: Callable[[], Table], checker: Checker
) -> Iterator[list[Checked]]:
    """The stored verdicts, each judged again by ExporterForm where it may no longer stand.

    `stored` gives the rows of the file in order, in chunks; `table` reads the file, once, and
    only when some row has to be judged again.
    """
    index = 0
    for chunk in stored:
        existing = checker.existing(row.key for row in chunk)
        again = []
        for row in chunk:
            instance = existing.get(row.key)
            if checker.still_holds(row, instance):
                again.append(row)
            else:
                again.append(checker.check(table().row(index), instance, table()))
            index += 1
        yield again


def snapshot(instance: Exporter | None) -> str:
    """A digest of what a row's verdict reads from the exporter it updates: its id and fields."""
    if instance is None:
        return ""
    values = [instance.pk, instance.sector_id, *(getattr(instance, name) for name in FORM_FIELDS)]
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _claim(claim) -> list | None:
    return [claim.gstin, claim.pk, claim.row] if claim else None


def _error(row: Row, table: Table, name: str, message: str) -> dict:
    whole = name == "__all__"  # an error of the row as a whole has no column
    column, value = ("", "") if whole else (table.column(name), row.values.get(name, "")[:100])
    return {"row": row.number, "column": column, "value": value, "message": message}


def _form_data(values: dict[str, str], instance: Exporter | None) -> dict:
    """The row's cells over what is already known: a blank cell or a missing column keeps the stored value."""
    base = {"is_manufacturer": True} if instance is None else model_to_dict(instance, fields=FORM_FIELDS)
    base.update({name: text for name, text in values.items() if text != ""})
    return base

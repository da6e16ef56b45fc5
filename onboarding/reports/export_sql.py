"""A list's CSV written by PostgreSQL itself: `COPY (SELECT …) TO STDOUT WITH CSV`, each export
column (exports.py) turned into the SQL that makes the same cell.

Python spent most of a 100,000-row CSV download formatting two million cells; PostgreSQL's
COPY does the same work several times faster, and the rows never become Python objects. The
file is the one the Python writer makes (spreadsheets/writing.py), cell for cell: the same
labels for stored codes (in the request's language), the same formula guard, times in ISO 8601
with the zone to the second, empty for nothing. Lines end in "\n" (COPY cannot write "\r\n";
every spreadsheet reads both). Each column's `show` has a twin here; a list with a column that
has none is written by Python, as on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence

from django.db import connection
from django.db.models import BooleanField, DateTimeField, JSONField, TextField
from django.db.models.fields import CharField
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import database
from ..models.activities import OUTCOME_KINDS, OUTCOME_NOT_RECORDED, ContactOutcome
from ..reference import GSTIN_ONLY_STATES, STAGES, STATES, state_name
from ..spreadsheets import FORMULA_STARTS, csv_bytes
from ..validators import COUNTRY_CODES, country_name
from .exports import (
    Choice,
    Column,
    country_names,
    export_paths,
    name_of,
    outcome_words,
    person,
    plain_date,
    stage_words,
    yes_no,
)

# A phone number needs no guard (writing.PHONE_RE): "+", then 7 to 18 digits with single spaces
# between them. A bounded repetition in a regular expression costs PostgreSQL a lot per row, so
# the shape and the count of digits are checked apart.
PHONE_SHAPE = r"^\+[0-9]( ?[0-9])*$"
PHONE_LENGTHS = (8, 19)  # "+" and the digits, spaces left out


def literal(text: object) -> str:
    """A text as an SQL string literal. Only labels and codes of the portal itself go through
    here (never what people typed, which stays a bound column)."""
    return "'" + str(text).replace("'", "''") + "'"


def guarded(expr: str) -> str:
    """A text cell with the formula guard: a leading apostrophe before "=", "+", "-", "@", a tab
    or a carriage return, except on a phone number. `expr` is a column of the query's middle
    level (select_sql), so naming it four times computes it once."""
    starts = ", ".join(str(ord(start)) for start in FORMULA_STARTS)
    low, high = PHONE_LENGTHS
    phone = f"({expr} ~ '{PHONE_SHAPE}' AND length(replace({expr}, ' ', '')) BETWEEN {low} AND {high})"
    return f"CASE WHEN ascii({expr}) IN ({starts}) AND NOT {phone} THEN '''' || {expr} ELSE {expr} END"


def labelled(expr: str, labels: dict) -> str:
    """A stored code as its label, in the current language; an unknown code as it is. The labels
    are one JSON constant, parsed once per query: a lookup per row, not a row of comparisons."""
    table = json.dumps({str(code): str(label) for code, label in labels.items()}, ensure_ascii=False)
    return f"COALESCE({literal(table)}::jsonb ->> ({expr}), {expr})"


def _state(code: str) -> str:
    return labelled(code, STATES | GSTIN_ONLY_STATES)


# Lists of up to this many items are read by position, without a subquery per row (most
# exporters name a few products and markets); longer ones are unnested.
SHORT_LIST = 6


def joined(items: str, each=lambda item: item) -> str:
    """A JSON list's items (each through `each`), joined by "; " as writing.plain joins them."""
    short = ", ".join(each(f"({items}) ->> {index}") for index in range(SHORT_LIST))
    return (
        f"(CASE WHEN jsonb_array_length({items}) <= {SHORT_LIST} THEN concat_ws('; ', {short}) "
        f"ELSE array_to_string(ARRAY(SELECT {each('item')} FROM jsonb_array_elements_text({items}) AS item), '; ') END)"
    )


def _countries(codes: str) -> str:
    names = literal(json.dumps({code: country_name(code) for code in COUNTRY_CODES}))
    return joined(codes, lambda code: f"COALESCE({names}::jsonb ->> upper({code}), {code})")


def _stage_words(name: str) -> str:
    return labelled(name, {stage[2]: _(stage[2]) for stage in STAGES})


def _name_of(brand: str, legal: str) -> str:
    return f"COALESCE(NULLIF({brand}, ''), {legal})"


def _person(first: str, last: str, email: str) -> str:
    return f"COALESCE(NULLIF(btrim(COALESCE({first}, '') || ' ' || COALESCE({last}, '')), ''), {email})"


def _yes_no(value: str) -> str:
    return f"(CASE WHEN {value} THEN {literal(yes_no(True))} ELSE {literal(yes_no(False))} END)"


def _outcome_words(kind: str, outcome: str) -> str:
    kinds = ", ".join(literal(code) for code in OUTCOME_KINDS)
    return (
        f"(CASE WHEN {kind} NOT IN ({kinds}) THEN NULL "
        f"WHEN COALESCE({outcome}, '') = '' THEN {literal(OUTCOME_NOT_RECORDED)} "
        f"ELSE {labelled(outcome, dict(ContactOutcome.choices))} END)"
    )


def _plain_date(moment: str) -> str:
    return f"({moment})::date::text"  # the session's zone is the portal's during the COPY


# Each `show` of exports.py and its SQL twin, from the columns' SQL expressions; all give text.
TWINS: dict[Callable, Callable[..., str]] = {
    state_name: _state,
    stage_words: _stage_words,
    name_of: _name_of,
    person: _person,
    yes_no: _yes_no,
    outcome_words: _outcome_words,
    country_names: _countries,
    plain_date: _plain_date,
}


def _cell(field, expr: str) -> tuple[str, bool] | None:
    """A column read as it is, and whether it is text (to guard): times in ISO 8601 with the
    zone (to the second), lists as "a; b", numbers and days as text."""
    if isinstance(field, CharField | TextField):
        return expr, True
    if isinstance(field, DateTimeField):
        return f"to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')", False
    if isinstance(field, JSONField):  # a list, as "a; b" (writing.plain)
        return joined(expr), True
    if isinstance(field, BooleanField):
        return None  # Python writes "True": written only through a `show` (yes_no)
    return f"({expr})::text", False


def column_sql(column: Column, fields: list, exprs: list[str]) -> tuple[str, bool] | None:
    """One column's cell in SQL and whether it is text to guard, or None when it has no twin."""
    if column.show is None:
        if len(exprs) == 1:
            return _cell(fields[0], exprs[0])
        # Several paths without a `show`: the non-empty values joined by spaces.
        return "concat_ws(' ', " + ", ".join(f"NULLIF(({e})::text, '')" for e in exprs) + ")", True
    if isinstance(column.show, Choice):
        return labelled(exprs[0], column.show.labels), True
    twin = TWINS.get(column.show)
    return (twin(*exprs), column.show is not plain_date) if twin else None


def select_sql(queryset, columns: Sequence[Column]) -> tuple[str, tuple] | None:
    """The SELECT whose rows are the CSV's rows, with its parameters; None when a column has no
    SQL twin. Three levels: the list's own query (its filters and its scope) untouched; each
    cell's value; the formula guard on the text cells. OFFSET 0 keeps PostgreSQL from folding
    the middle level into the outer one, which would compute a value once per mention."""
    paths = export_paths(columns)
    query = queryset.values_list(*paths).query
    sql, params = query.sql_with_params()
    # The inner query's columns in its SQL's order (values_list's own, annotations included),
    # each with its field, to know how to write it.
    compiler = query.get_compiler(using=queryset.db)
    compiler.setup_query()
    order = list(query.selected or ())
    if len(order) != len(compiler.select):
        return None
    fields = {name: selected[0].output_field for name, selected in zip(order, compiler.select, strict=True)}
    names = {name: f"c{index}" for index, name in enumerate(order)}
    values, cells = [], []
    for index, column in enumerate(columns):
        cell = column_sql(column, [fields[p] for p in column.paths], [f"listed.{names[p]}" for p in column.paths])
        if cell is None:
            return None
        value, text = cell
        values.append(f"{value} AS v{index}")
        cells.append(guarded(f"v{index}") if text else f"v{index}")
    middle = f"SELECT {', '.join(values)} FROM ({sql}) AS listed({', '.join(names.values())}) OFFSET 0"
    return f"SELECT {', '.join(cells)} FROM ({middle}) AS cell_values", tuple(params)


def copied_csv(queryset, columns: Sequence[Column], *, bom: bool = True) -> Iterator[bytes] | None:
    """The list as CSV written by PostgreSQL, in the blocks COPY sends; None where it cannot be
    (another database, or a column without an SQL twin): the caller writes it in Python."""
    if not database.can_copy():
        return None
    select = select_sql(queryset, columns)
    if select is None:
        return None
    header = csv_bytes([column.label for column in columns], [], bom=bom).replace(b"\r\n", b"\n")
    return _stream(header, *select)


def _stream(header: bytes, sql: str, params: tuple) -> Iterator[bytes]:
    yield header
    zone = timezone.get_current_timezone_name()
    with connection.cursor() as cursor:
        # Times and days in the portal's zone, as the Python writer shows them; the connection's
        # own zone (UTC, Django's) comes back after, even if the download is cut short.
        cursor.execute("SELECT set_config('TimeZone', %s, false)", [zone])
        try:
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for block in copy:
                    yield bytes(block)
        finally:
            cursor.execute("SELECT set_config('TimeZone', %s, false)", [connection.timezone_name])

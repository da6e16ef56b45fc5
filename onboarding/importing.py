"""Reading exporter spreadsheets: CSV (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252) and XLSX.

This module only turns a file into rows of text keyed by ExporterForm field names,
undoing spreadsheet quirks on the way (numbers for PIN codes, trailing ".0",
leading apostrophes, state and language names). It judges nothing a person typed:
every value goes to ExporterForm, the single validation path. What it does refuse
is a file it cannot read, with a message that says what to do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
ALLOWED_EXTENSIONS = (".csv", ".xlsx")
REQUIRED = ("legal_name", "gstin")
HEADER_SEARCH_ROWS = 10  # title rows a council may put above the header

# The template's columns, in order, with the header a person sees.
COLUMNS: dict[str, str] = {
    "legal_name": "Legal name",
    "trade_name": "Trade name",
    "gstin": "GSTIN",
    "pan": "PAN",
    "iec": "IEC",
    "udyam_number": "Udyam number",
    "msme_category": "MSME category",
    "state": "State",
    "district": "District",
    "pin_code": "PIN code",
    "contact_name": "Contact name",
    "contact_email": "Email",
    "contact_mobile": "Mobile",
    "products": "HS codes",
    "target_markets": "Target markets",
    "preferred_language": "Preferred language",
    "is_manufacturer": "Manufacturer",
    "marketplace": "Marketplace",
    "marketplace_member_id": "Marketplace member ID",
    "storefront_url": "Storefront URL",
    "status": "Status",
    "status_reason": "Status reason",
}
EXAMPLE_ROW: dict[str, str] = {
    "legal_name": "Shree Ganesh Handicrafts LLP",
    "trade_name": "Ganesh Crafts",
    "gstin": "27AAPFU0939F1ZV",
    "udyam_number": "UDYAM-MH-26-0123456",
    "msme_category": "Micro",
    "state": "Maharashtra",
    "district": "Pune",
    "pin_code": "411001",
    "contact_name": "Meera Kulkarni",
    "contact_email": "meera@ganesh.example.in",
    "contact_mobile": "98765 43210",
    "products": "9403, 442090",
    "target_markets": "US, AE",
    "preferred_language": "Marathi",
    "is_manufacturer": "Yes",
}
# Headers seen on councils' and states' sheets, compared without case, spaces or punctuation.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "legal_name": (
        "name",
        "companyname",
        "company",
        "firmname",
        "firm",
        "exportername",
        "exporter",
        "nameofexporter",
        "nameofthefirm",
        "nameoffirm",
        "businessname",
        "legalnameofbusiness",
        "entityname",
        "unitname",
        "nameofunit",
    ),
    "trade_name": ("tradename", "brandname", "brand", "tradingname"),
    "gstin": ("gst", "gstno", "gstnumber", "gstinno", "gstinnumber", "gstregistrationnumber", "gstinuin", "gstregno"),
    "pan": ("panno", "pannumber"),
    "iec": ("iecno", "ieccode", "iecnumber", "importexportcode"),
    "udyam_number": ("udyam", "udyamno", "udyamregistrationnumber", "udyamregistrationno", "msmeregistrationno"),
    "msme_category": ("msme", "category", "enterprisetype", "enterprisecategory"),
    "state": ("statename", "stateut", "stateorut", "statecode"),
    "district": ("districtname", "city", "town"),
    "pin_code": ("pin", "pincode", "postalcode", "postcode", "zip", "zipcode", "pinno"),
    "contact_name": ("contact", "contactperson", "person", "authorisedperson", "authorizedperson", "proprietor"),
    "contact_email": ("email", "emailid", "emailaddress", "mail"),
    "contact_mobile": (
        "mobile",
        "mobileno",
        "mobilenumber",
        "phone",
        "phoneno",
        "phonenumber",
        "contactno",
        "contactnumber",
        "whatsapp",
        "whatsappno",
        "whatsappnumber",
        "cell",
    ),
    "products": ("hscodes", "hscode", "hs", "hsn", "hsncode", "hsncodes", "itchs", "itchscode", "productcodes"),
    "target_markets": ("markets", "targetcountries", "countries", "exportmarkets"),
    "preferred_language": ("language", "lang"),
    "is_manufacturer": ("manufacturer", "ismanufacturer", "manufacturerexporter"),
    "marketplace": ("platform",),
    "marketplace_member_id": ("memberid", "alibabaid", "sellerid"),
    "storefront_url": ("storefront", "storeurl", "shopurl"),
    "status_reason": ("reason",),
}
YES = {"yes", "y", "true", "1", "manufacturer", "m"}
NO = {"no", "n", "false", "0", "trader", "merchant", "merchantexporter", "t"}
# A cell a spreadsheet would run as a formula (CSV injection): "=…", "@SUM(…)", "+cmd|…", "-2+3+cmd|…".
FORMULA_RE = re.compile(r"^(=|[+\-@][A-Za-z(=@]|[+\-@].*[|!])")
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or password-protected workbook: save it as .xlsx or CSV",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message tells a person why and what to do."""


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it: the header is usually row 1
    values: dict[str, str]  # field name -> cleaned text, only for the file's columns
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field name, message) found while reading


@dataclass
class Table:
    """A readable file: which column is which, and its rows (read again on each pass)."""

    name: str
    kind: str  # "csv" or "xlsx"
    headers: dict[str, str]  # field name -> the header as written in the file
    positions: dict[str, int]  # field name -> column index
    unknown_columns: list[str]
    records: list  # (row number, raw cells) after the header, blank rows left out

    @property
    def total_rows(self) -> int:
        return len(self.records)

    @property
    def warnings(self) -> list[str]:
        if not self.unknown_columns:
            return []
        names = ", ".join(f"“{c}”" for c in self.unknown_columns)
        return [f"Columns not recognised and ignored: {names}."]

    def column(self, field_name: str) -> str:
        """The header of a field's column, for error reports (the field's label when the file has none)."""
        return self.headers.get(field_name) or COLUMNS.get(field_name, field_name)

    def rows(self) -> Iterator[Row]:
        for number, record in self.records:
            row = Row(number=number, values={})
            for field_name, index in self.positions.items():
                raw = record[index] if index < len(record) else None
                row.values[field_name] = _cell_text(raw)
            _undo_quirks(row)
            yield row


def normalise_header(text: object) -> str:
    return "".join(ch for ch in str(text or "").casefold() if ch.isalnum())


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for name, label in COLUMNS.items():
        lookup[normalise_header(name)] = name
        lookup[normalise_header(label)] = name
        for synonym in SYNONYMS.get(name, ()):
            lookup[synonym] = name
    return lookup


HEADER_LOOKUP = _header_lookup()


def limits() -> tuple[int, int]:
    return (
        getattr(settings, "IMPORT_MAX_BYTES", MAX_BYTES),
        getattr(settings, "IMPORT_MAX_ROWS", MAX_ROWS),
    )


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def too_big_message(size: int, max_bytes: int) -> str:
    return f"The file is {human_size(size)}; the limit is {human_size(max_bytes)}. Split it into smaller files."


def read_table(data: bytes, name: str) -> Table:
    """Open a CSV or XLSX file's bytes; raises ImportFileError with a clear message when it cannot."""
    max_bytes, max_rows = limits()
    lower = name.lower()
    if not lower.endswith(ALLOWED_EXTENSIONS):
        if lower.endswith(".xls"):
            raise ImportFileError("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV.")
        raise ImportFileError(f"Upload a .csv or .xlsx file; “{name}” is neither.")
    if len(data) > max_bytes:
        raise ImportFileError(too_big_message(len(data), max_bytes))
    if not data.strip():
        raise ImportFileError("The file is empty.")
    # Judged by content, not name: a workbook renamed .csv is still read as a workbook.
    if data.startswith(b"PK"):
        records, kind = _xlsx_records(data, max_rows), "xlsx"
    elif lower.endswith(".xlsx"):
        raise ImportFileError("This .xlsx file is not an Excel workbook: save it again from Excel, or as CSV.")
    else:
        records, kind = _csv_records(data, max_rows), "csv"
    table = _build_table(name, kind, records)
    if table.total_rows > max_rows:
        _too_many(max_rows)
    return table


def _build_table(name: str, kind: str, records: list) -> Table:
    if not records:
        raise ImportFileError("The file has no rows.")
    header_at = _find_header(records)
    number, header = records[header_at]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        text = _cell_text(cell)
        if not text:
            continue
        field_name = HEADER_LOOKUP.get(normalise_header(text))
        if field_name is None:
            unknown.append(text)
        elif field_name in positions:
            raise ImportFileError(
                f"Two columns mean the same thing: “{headers[field_name]}” and “{text}”. Keep one of them."
            )
        else:
            positions[field_name] = index
            headers[field_name] = text
    missing = [COLUMNS[f] for f in REQUIRED if f not in positions]
    if missing:
        found = ", ".join(f"“{_cell_text(c)}”" for c in header if _cell_text(c)) or "none"
        raise ImportFileError(
            f"The file has no {' or '.join(missing)} column (row {number} was read as the header; "
            f"its columns are {found}). Download the template to see the expected columns."
        )
    body = records[header_at + 1 :]
    if not body:
        raise ImportFileError("The file has a header row but no exporter rows.")
    return Table(name=name, kind=kind, headers=headers, positions=positions, unknown_columns=unknown, records=body)


def _find_header(records: list) -> int:
    """The first of the top rows that names both required columns (else the first row)."""
    for index, (_number, record) in enumerate(records[:HEADER_SEARCH_ROWS]):
        names = {HEADER_LOOKUP.get(normalise_header(_cell_text(c))) for c in record}
        if all(f in names for f in REQUIRED):
            return index
    return 0


# --- CSV --------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, which Excel on Windows writes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError("The file says it is UTF-16 text but is not: save it as CSV UTF-8.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_records(data: bytes, max_rows: int) -> list:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(f"This is not a CSV file: it looks like {what}.")
    text = decode(data)
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or "\ufffd" in sample or controls > len(sample) // 100:
        raise ImportFileError("This is not a CSV file: it holds binary data. Save the sheet as CSV or .xlsx.")
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = max(",;\t|", key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _non_blank(enumerate(reader, start=1), max_rows)
    except csv.Error as exc:
        raise ImportFileError(
            f"Line {reader.line_num} cannot be read as CSV ({exc}). Save the sheet as CSV again."
        ) from exc


def _non_blank(numbered_records, max_rows: int) -> list:
    """Rows with something in them; stops early on a file far past the row limit."""
    records, blank_run = [], 0
    for number, record in numbered_records:
        if not any(_cell_text(c) for c in record):
            blank_run += 1
            if blank_run > 1000:  # formatting down to row 1,048,576 is not data
                break
            continue
        blank_run = 0
        records.append((number, record))
        if len(records) > max_rows + HEADER_SEARCH_ROWS:
            _too_many(max_rows)
    return records


def _too_many(max_rows: int):
    raise ImportFileError(f"The file has more than {max_rows:,} rows: split it into smaller files.")


# --- XLSX -------------------------------------------------------------------


def _xlsx_records(data: bytes, max_rows: int) -> list:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; data_only=False so formulas arrive as "=…" and are refused.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, …) on damaged files
        raise ImportFileError(
            "This file cannot be opened as an Excel workbook: save it again from Excel as .xlsx, or as CSV."
        ) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError("The workbook has no sheet.")
        return _non_blank(enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1), max_rows)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError("The workbook's first sheet cannot be read: save it again, or as CSV.") from exc
    finally:
        workbook.close()


# --- Cells ------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """A cell as text, undoing what spreadsheets do to numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 411001.0 -> "411001"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'"):  # Excel's "treat as text" marker, kept by some exports
        text = text[1:].strip()
    return text


def _choice_lookup() -> dict[str, dict[str, str]]:
    """Per choice field: lower-cased value or label -> value ("Maharashtra" -> "27", "Hindi" -> "hi")."""
    from .forms import ExporterForm

    form = ExporterForm()
    lookups: dict[str, dict[str, str]] = {}
    for name in ("state", "msme_category", "preferred_language", "status"):
        lookups[name] = {}
        for value, label in form.fields[name].choices:
            if value:
                lookups[name][str(value).lower()] = str(value)
                lookups[name][str(label).lower()] = str(value)
    return lookups


_CHOICES: dict[str, dict[str, str]] | None = None


def _undo_quirks(row: Row) -> None:
    global _CHOICES
    if _CHOICES is None:
        _CHOICES = _choice_lookup()
    values = row.values
    for name, text in values.items():
        if text and FORMULA_RE.match(text):
            shown = text if len(text) <= 40 else text[:39] + "…"
            row.errors.append((name, f"Formulas are not imported (“{shown}”): type or paste the value itself."))
            values[name] = ""
    state = values.get("state", "")
    if state.isdigit() and len(state) == 1:
        values["state"] = state.zfill(2)
    for name, lookup in _CHOICES.items():
        text = values.get(name)
        if text:
            values[name] = lookup.get(text.lower(), lookup.get(re.sub(r"\s+", " ", text.lower()), text))
    if values.get("products"):
        # An HS code typed as a number loses its leading zero: 904 was 0904.
        items = re.split(r"[,;|\n]", values["products"])
        values["products"] = ", ".join(
            item.strip().zfill(len(item.strip()) + 1) if item.strip().isdigit() and len(item.strip()) % 2 else item
            for item in items
        )
    flag = values.get("is_manufacturer")
    if flag:
        key = normalise_header(flag)
        if key in YES:
            values["is_manufacturer"] = "true"
        elif key in NO:
            values["is_manufacturer"] = "false"
        else:
            row.errors.append(("is_manufacturer", f"“{flag}” is not Yes or No."))
            values["is_manufacturer"] = ""


# --- The template -------------------------------------------------------------


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS.values())
    writer.writerow(EXAMPLE_ROW.get(name, "") for name in COLUMNS)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Exporters"
    sheet.append(list(COLUMNS.values()))
    sheet.append([EXAMPLE_ROW.get(name, "") for name in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in ("C", "J", "M"):  # GSTIN, PIN code, mobile: text, so Excel keeps every digit
        for cell in sheet[column]:
            cell.number_format = "@"
    for index, name in enumerate(COLUMNS):
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = max(14, len(name) + 4)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

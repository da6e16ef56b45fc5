"""Indian business identifiers: normalise, then validate with a message a person can act on.

Each `clean_*` function takes raw input, returns the normalised value or raises
django.core.exceptions.ValidationError. Checksums come from python-stdnum; the GSTIN
state table is our own because stdnum's stops at 37 (Ladakh is 38; 97 and 99 exist).
"""

from __future__ import annotations

import os
import re
from functools import cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers.geocoder import _region_display_name
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.in_ import pan as stdnum_pan

from .reference import COUNTRY_ALIASES, GSTIN_ONLY_STATES, STATES, hs_section_for, squash, state_name

_GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_RE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
_UDYAM_RE = re.compile(r"^UDYAM-[A-Z]{2}-\d{2}-\d{7}$")
_DPIIT_RE = re.compile(r"^DIPP\d{1,10}$")
_CIN_RE = re.compile(r"^[LU]\d{5}[A-Z]{2}\d{4}[A-Z]{3}\d{6}$")
_PIN_RE = re.compile(r"^[1-9][0-9]{5}$")
_HS_RE = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{8})$")

# The largest id a bigint column holds (PostgreSQL's bigint, SQLite's INTEGER): a larger
# number sent to the database is an overflow error, not "no such row".
MAX_ID = 2**63 - 1
# ASCII digits only: str.isdigit() accepts "²", which int() refuses, and int() accepts
# "١٢" (Arabic-Indic digits), " 7", "+7" and "7_000", none of which is an id we print.
ID_RE = re.compile(r"[0-9]{1,19}")


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


PAN_HOLDER_TYPES = {
    "A": "Association of persons",
    "B": "Body of individuals",
    "C": "Company",
    "F": "Firm or LLP",
    "G": "Government",
    "H": "Hindu undivided family",
    "J": "Artificial juridical person",
    "L": "Local authority",
    "P": "Individual or proprietor",
    "T": "Trust",
}


def compact(value: object) -> str:
    """Trim, uppercase and drop spaces, hyphens, dots and a spreadsheet's leading apostrophe."""
    text = "" if value is None else str(value)
    return re.sub(r"[\s\-.]", "", text.strip().lstrip("'")).upper()


def _strip_spreadsheet_float(value: object) -> str:
    """Excel stores PIN codes and phone numbers as numbers: 411001.0 means "411001"."""
    text = "" if value is None else str(value).strip()
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def clean_pan(value: object) -> str:
    number = compact(value)
    if len(number) != 10:
        raise ValidationError(
            _("A PAN has 10 characters; this has %(count)s.") % {"count": len(number)}, code="pan_length"
        )
    if not _PAN_RE.match(number):
        raise ValidationError(
            _("A PAN is five letters, four digits and a letter (e.g. AAPFU0939F)."), code="pan_format"
        )
    if number[3] not in PAN_HOLDER_TYPES:
        raise ValidationError(
            _("The 4th character of a PAN is the holder type (%(types)s); “%(character)s” is not one.")
            % {"types": ", ".join(PAN_HOLDER_TYPES), "character": number[3]},
            code="pan_holder",
        )
    try:
        stdnum_pan.validate(number)
    except StdnumError as exc:
        raise ValidationError(_("This PAN is not valid."), code="pan_invalid") from exc
    return number


def clean_gstin(value: object) -> str:
    number = compact(value)
    if len(number) != 15:
        raise ValidationError(
            _("A GSTIN has 15 characters; this has %(count)s.") % {"count": len(number)}, code="gstin_length"
        )
    if not _GSTIN_RE.match(number):
        raise ValidationError(
            _("A GSTIN is a 2-digit state code, a PAN, an entity number (not 0), “Z” and a check character."),
            code="gstin_format",
        )
    if number[:2] not in STATES and number[:2] not in GSTIN_ONLY_STATES:
        raise ValidationError(_("“%(code)s” is not a GST state code.") % {"code": number[:2]}, code="gstin_state")
    try:
        clean_pan(number[2:12])
    except ValidationError as exc:
        raise ValidationError(
            _("The PAN inside this GSTIN is wrong: %(problem)s") % {"problem": exc.messages[0]}, code="gstin_pan"
        ) from exc
    try:
        luhn.validate(number, _GSTIN_ALPHABET)
    except StdnumError as exc:
        raise ValidationError(
            _("The GSTIN's check character does not match: a character is probably mistyped."), code="gstin_checksum"
        ) from exc
    return number


def gstin_check_character(first14: str) -> str:
    """The check character that completes a 14-character GSTIN body (used by seed data)."""
    return luhn.calc_check_digit(first14, _GSTIN_ALPHABET)


def clean_iec(value: object) -> str:
    """Since 2017 the IEC is the PAN; older 10-digit numeric IECs are still accepted."""
    number = compact(value)
    if re.fullmatch(r"\d{10}", number):
        return number
    try:
        return clean_pan(number)
    except ValidationError as exc:
        raise ValidationError(_("An IEC is the firm's PAN (or a legacy 10-digit number)."), code="iec") from exc


def clean_udyam(value: object) -> str:
    text = str(value or "").strip().upper().replace(" ", "")
    if not _UDYAM_RE.match(text):
        raise ValidationError(_("A Udyam number looks like UDYAM-MH-26-0123456."), code="udyam")
    return text


def clean_dpiit(value: object) -> str:
    number = compact(value)
    if not _DPIIT_RE.match(number):
        raise ValidationError(
            _("A DPIIT recognition number is “DIPP” followed by digits, e.g. DIPP8292."), code="dpiit"
        )
    return number


def clean_cin(value: object) -> str:
    number = compact(value)
    if len(number) != 21:
        raise ValidationError(
            _("A CIN has 21 characters; this has %(count)s.") % {"count": len(number)}, code="cin_length"
        )
    if not _CIN_RE.match(number):
        raise ValidationError(_("A CIN looks like U72900KA2008PTC046374."), code="cin_format")
    return number


def clean_pin_code(value: object) -> str:
    text = _strip_spreadsheet_float(value)
    text = compact(text)
    if not _PIN_RE.match(text):
        raise ValidationError(_("A PIN code has six digits and does not start with 0."), code="pin")
    return text


# Ten ASCII digits from 6 to 9 on: phonenumbers reads every such number as itself in India
# (test_validators compares the two), and the import checks 100,000 of them.
_TEN_DIGIT_MOBILE = re.compile(r"[6-9][0-9]{9}")


def clean_mobile(value: object) -> str:
    """An Indian mobile number, returned as E.164 (+91XXXXXXXXXX)."""
    text = _strip_spreadsheet_float(value).lstrip("'")
    if _TEN_DIGIT_MOBILE.fullmatch(text):  # as most are typed: what phonenumbers makes of it, 30× faster
        return "+91" + text
    try:
        parsed = phonenumbers.parse(text, "IN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a 10-digit Indian mobile number."), code="mobile") from exc
    national = str(parsed.national_number)
    if parsed.country_code != 91 or not re.fullmatch(r"[6-9]\d{9}", national):
        raise ValidationError(_("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9."), code="mobile")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA"}  # ISO 3166-1 alpha-2 in use


@cache
def _country_names() -> dict[str, str]:
    # phonenumbers already ships English country names (its geocoder's table); reusing them
    # spares a dependency. Its helper is private, so tests pin a few names in case it moves.
    return {code: _region_display_name(code, "en") or code for code in COUNTRY_CODES}


@cache
def _country_lookup() -> dict[str, str]:
    lookup = {squash(name): code for code, name in _country_names().items()}
    lookup.update({squash(code): code for code in COUNTRY_CODES})
    return {**lookup, **COUNTRY_ALIASES}


def country_name(code: str) -> str:
    """An ISO country code in words ("AE" -> "United Arab Emirates"); unknown codes as they are."""
    return _country_names().get(str(code or "").upper(), code)


def clean_country(value: object) -> str:
    """A country as its ISO code, from a code, a name or a common spelling ("U.A.E." -> "AE")."""
    code = _country_lookup().get(squash(value))
    if code is None:
        raise ValidationError(
            _("“%(value)s” is not a country name or ISO country code such as US, AE or DE.") % {"value": value},
            code="country",
        )
    return code


def clean_hs_code(value: object) -> str:
    text = compact(value)
    if not _HS_RE.match(text):
        raise ValidationError(
            _("“%(code)s” is not an HS code: use 2, 4, 6 or 8 digits.") % {"code": text}, code="hs_format"
        )
    if hs_section_for(text) is None:
        raise ValidationError(_("HS chapter %(chapter)s does not exist.") % {"chapter": text[:2]}, code="hs_chapter")
    return text


def check_exporter_identity(*, gstin: str, pan: str | None = None, state: str | None = None) -> dict[str, list[str]]:
    """Cross-checks between a GSTIN and the PAN and state given with it; returns field errors."""
    errors: dict[str, list[str]] = {}
    if pan and pan != gstin[2:12]:
        errors["pan"] = [_("The PAN must match the GSTIN: expected %(pan)s.") % {"pan": gstin[2:12]}]
    if state and state != gstin[:2] and gstin[:2] in STATES:
        errors["state"] = [
            _("The GSTIN is registered in %(registered)s, not %(given)s.")
            % {"registered": STATES[gstin[:2]], "given": state_name(state)}
        ]
    return errors


# Uploads: what a phone camera or an office suite produces, checked by content, not name.
UPLOAD_SIGNATURES = {
    ".pdf": [b"%PDF-"],
    ".png": [b"\x89PNG\r\n\x1a\n"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".webp": [b"RIFF"],
    ".docx": [b"PK\x03\x04"],
    ".xlsx": [b"PK\x03\x04"],
}
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


FILE_TYPE_WORDS = {".pdf": "PDF", ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".xlsx": "Excel (.xlsx)"}


def file_types_in_words(extensions) -> str:
    """(".pdf", ".jpg", ".jpeg", ".png") -> "PDF, JPEG or PNG"."""
    words = list(dict.fromkeys(FILE_TYPE_WORDS.get(e, e) for e in extensions))
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def validate_document(upload, *, extensions, what: str) -> None:
    """A checklist document (`what`, e.g. "GST certificate"): one of `extensions`, then the
    attachment checks (size, and bytes that match the type)."""
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in extensions:
        raise ValidationError(
            _("Upload the %(what)s as a %(types)s file; “%(name)s” is not one.")
            % {"what": what, "types": file_types_in_words(extensions), "name": upload.name}
        )
    validate_attachment(upload)


def validate_attachment(upload) -> None:
    """An evidence or work-log file: PDF, image or Office document up to 5 MB, whose bytes match its type."""
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in UPLOAD_SIGNATURES:
        allowed = ", ".join(sorted(UPLOAD_SIGNATURES))
        raise ValidationError(
            _("Upload a PDF, image or Office file (%(allowed)s); “%(name)s” is not one.")
            % {"allowed": allowed, "name": extension or upload.name}
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is 5 MB.") % {"size": f"{upload.size / 1_048_576:.1f}"}
        )
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in UPLOAD_SIGNATURES[extension]):
        raise ValidationError(_("This file's content is not a real %(extension)s file.") % {"extension": extension})


_IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_BANK_ACCOUNT_RE = re.compile(r"^[0-9]{9,18}$")


def clean_ifsc(value: object) -> str:
    """A bank branch's IFSC: four letters (the bank), "0", six letters or digits (the branch)."""
    code = compact(value)
    if not _IFSC_RE.match(code):
        raise ValidationError(
            _(
                "An IFSC is 11 characters: four letters (the bank), a zero, then six letters or digits "
                "(the branch), e.g. SBIN0001234."
            ),
            code="ifsc",
        )
    return code


def clean_bank_account_number(value: object) -> str:
    """An Indian bank account number: 9 to 18 digits (spaces and hyphens dropped)."""
    number = compact(value)
    if not _BANK_ACCOUNT_RE.match(number):
        raise ValidationError(_("An Indian bank account number is 9 to 18 digits."), code="bank_account")
    return number


_UTR_RE = re.compile(r"^[A-Z0-9]{12,22}$")


def clean_utr(value: object) -> str:
    """A bank transfer's UTR: NEFT 16 characters, RTGS 22, IMPS 12 digits; letters and digits only."""
    reference = re.sub(r"\s+", "", str(value or "")).upper()
    if not _UTR_RE.match(reference):
        raise ValidationError(_("A UTR is 12 to 22 letters and digits (NEFT 16, RTGS 22, IMPS 12)."), code="utr")
    return reference

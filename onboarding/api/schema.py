"""OpenAPI request bodies derived from the portal's forms, so the docs follow the validators.

These serializers describe; they never validate (the forms do, see api/forms.py).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from .. import validators as v
from ..filters import MAX_ID
from ..forms.fields import ListField
from ..models import Exporter
from ..models.activities import OUTCOME_KINDS
from ..reference import GSTIN_ONLY_STATES, STATES, hs_section_for

# For SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: an exporter's state may also be a GSTIN-only code.
EXPORTER_STATE_CHOICES = Exporter._meta.get_field("state").choices

_SIMPLE = [
    (forms.BooleanField, serializers.BooleanField),
    (forms.IntegerField, serializers.IntegerField),
    (forms.DecimalField, serializers.DecimalField),
    (forms.DateTimeField, serializers.DateTimeField),
    (forms.DateField, serializers.DateField),
    (forms.EmailField, serializers.EmailField),
    (forms.URLField, serializers.URLField),
    (forms.FileField, serializers.FileField),
]


def _describe(field: forms.Field) -> serializers.Field:
    common = {"required": field.required, "help_text": str(field.help_text or field.label or "") or None}
    if isinstance(field, ListField):
        return serializers.ListField(child=_list_item(field), **common)
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=serializers.IntegerField(), **common)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.MultipleChoiceField(choices=field.choices, **common)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=[c for c in field.choices if c[0] != ""], **common)
    for form_type, serializer_type in _SIMPLE:
        if isinstance(field, form_type):
            if serializer_type is serializers.DecimalField:
                return serializer_type(
                    max_digits=field.max_digits, decimal_places=field.decimal_places, **_bounds(field), **common
                )
            if serializer_type is serializers.IntegerField:
                return serializer_type(**_bounds(field), **common)
            return serializer_type(**common)
    # A required text field refuses "" (and blanks) even in a PATCH that sends it.
    min_length = 1 if field.required else None
    pattern = IDENTIFIER_PATTERNS.get(getattr(field, "cleaner", None))
    if pattern and not field.required:
        pattern = f"^$|{pattern}"
    if not pattern:
        # the form strips blanks (and other whitespace) before it checks "required"
        pattern = PLAIN_TEXT_NOT_BLANK if field.required else PLAIN_TEXT
    validators = [RegexValidator(pattern)]
    return serializers.CharField(
        max_length=getattr(field, "max_length", None), min_length=min_length, validators=validators, **common
    )


def _bounds(field: forms.Field) -> dict:
    """A number field's limits as the form checks them (e.g. an activity's 1 to 1,440 minutes)."""
    return {
        name: value
        for name, value in (("min_value", field.min_value), ("max_value", field.max_value))
        if value is not None
    }


def _list_item(field: ListField) -> serializers.Field:
    """One item of a comma-separated list, as its cleaner takes it (an HS code, a country code)."""
    pattern = LIST_ITEM_PATTERNS.get(field.item_clean, PLAIN_TEXT)
    return serializers.CharField(validators=[RegexValidator(pattern)])


# Text as control_characters.validate_plain_text takes it: no control character but tab, line
# feed and carriage return; "not blank" also needs one character that is not whitespace.
_PLAIN = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
PLAIN_TEXT = f"^{_PLAIN}*$"
PLAIN_TEXT_NOT_BLANK = rf"^{_PLAIN}*[^\s\x00-\x1f\x7f]{_PLAIN}*$"
# The separators an identifier's cleaner drops (whitespace, dots, hyphens), less the control
# characters that are refused before it runs.
SEP = r"[\t\n\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.\-]*"


def _any_case(token: str) -> str:
    if token.startswith("(?"):
        return token  # a group (`_either`) is already written for any case
    if token.startswith("["):
        inner = token[1:-1]
        return "[" + inner + inner.replace("A-Z", "a-z").lower() + "]" if any(c.isupper() for c in inner) else token
    return f"[{token}{token.lower()}]" if token.isalpha() else token


def _lenient(*tokens: str) -> str:
    """A pattern for an identifier as the form's cleaner takes it: any case, with spaces, dots or
    hyphens anywhere (they are dropped), e.g. "27 aapfu0939f 1zv" for a GSTIN."""
    return "^" + SEP + SEP.join(_any_case(token) for token in tokens) + SEP + "$"


def _either(*choices: str) -> str:
    """One of several fixed codes (e.g. the GST state codes), each as typed: any case, with separators."""
    return "(?:" + "|".join(SEP.join(_any_case(c) for c in choice) for choice in choices) + ")"


_D, _L, _NZ = "[0-9]", "[A-Z]", "[1-9]"
# The PAN's 4th character is a holder type (validators.PAN_HOLDER_TYPES, as python-stdnum also
# checks) and its four digits are not 0000: the first digit that is not 0 comes first, then any.
_HOLDER = "[" + "".join(sorted(v.PAN_HOLDER_TYPES)) + "]"
_SERIAL = "(?:" + "|".join(SEP.join(["0"] * zeros + [_NZ] + [_D] * (3 - zeros)) for zeros in range(4)) + ")"
_PAN = [_L, _L, _L, _HOLDER, _L, _SERIAL, _L]
# The GST state codes (validators.clean_gstin); an exporter's state may also be one of the GSTIN-only codes.
_GST_STATES = _either(*sorted({*STATES, *GSTIN_ONLY_STATES}))
_HS_CHAPTERS = _either(*(f"{n:02d}" for n in range(1, 100) if hs_section_for(f"{n:02d}")))
# What the forms' IdentifierFields accept (validators.clean_*). A GSTIN's check character is
# beyond a pattern: its `format: gstin` says it is checked (the contract test generates valid ones).
IDENTIFIER_PATTERNS = {
    v.clean_gstin: _lenient(_GST_STATES, *_PAN, "[1-9A-Z]", "Z", "[0-9A-Z]"),
    v.clean_pan: _lenient(*_PAN),
    v.clean_iec: "^" + SEP + f"(?:{SEP.join(_any_case(t) for t in _PAN)}|{SEP.join([_D] * 10)})" + SEP + "$",
    v.clean_dpiit: "^" + SEP + SEP.join(_any_case(c) for c in "DIPP") + f"(?:{SEP}[0-9]){{1,10}}" + SEP + "$",
    v.clean_cin: _lenient("[LU]", *[_D] * 5, _L, _L, *[_D] * 4, _L, _L, _L, *[_D] * 6),
    v.clean_pin_code: _lenient("[1-9]", *[_D] * 5),
    v.clean_udyam: r"^ *[Uu] *[Dd] *[Yy] *[Aa] *[Mm] *- *[A-Za-z] *[A-Za-z] *- *[0-9] *[0-9] *-(?: *[0-9]){7} *$",
    # An Indian mobile number as phonenumbers reads it: +91, 91 or 0 before 10 digits from 6 to 9.
    v.clean_mobile: r"^ *(?:\+ *91|91|0)?[ \-]*[6-9](?:[ \-]*[0-9]){9} *$",
}
IDENTIFIER_FORMATS = {v.clean_gstin: "gstin"}
# A list item's separators are spaces, dots and hyphens only: a line break splits a typed list.
_ITEM_SEP = r"[ .\-]*"
LIST_ITEM_PATTERNS = {
    v.clean_hs_code: "^"
    + _ITEM_SEP
    + _HS_CHAPTERS.replace(SEP, _ITEM_SEP)
    + f"(?:{_ITEM_SEP}[0-9]{_ITEM_SEP}[0-9]){{0,3}}"
    + _ITEM_SEP
    + "$",
    # An ISO code in any case; the form also takes a country's name ("United Arab Emirates").
    v.clean_country: "^ *" + _either(*sorted(v.COUNTRY_CODES)).replace(SEP, "") + " *$",
}


_BODIES: dict[str, type[serializers.Serializer]] = {}
# Each body's file fields: a file travels in multipart/form-data only (see `_files_in_multipart_only`).
_FILES: dict[str, set[str]] = {}


def body_for(
    form_class, name: str, extra: dict | None = None, optional: bool = False, **form_kwargs
) -> type[serializers.Serializer]:
    """A Serializer class named `name` describing the form's fields (one class per name), plus
    `extra`: body fields the view reads itself. `optional`: which are required depends on the object."""
    if name not in _BODIES:
        fields = form_class(**form_kwargs).fields
        for field in fields.values():
            field.required = field.required and not optional
        attrs = {field_name: _describe(field) for field_name, field in fields.items()}
        _FILES[name] = {field_name for field_name, field in fields.items() if isinstance(field, forms.FileField)}
        attrs.update(extra or {})
        _BODIES[name] = type(name, (serializers.Serializer,), attrs)
    return _BODIES[name]


_GSTIN = "27AAPFU0939F1Z" + v.gstin_check_character("27AAPFU0939F1Z")
EXAMPLES = {
    "ExporterRequest": {
        "legal_name": "Kaveri Handlooms LLP",
        "gstin": _GSTIN,
        "district": "Pune",
        "pin_code": "411001",
        "contact_mobile": "98123 45678",
        "products": ["6109", "620342"],
        "target_markets": ["US", "AE"],
        "is_manufacturer": True,
    },
    "StartupRequest": {
        "legal_name": "Gamma Growth Private Limited",
        "dpiit_number": "DIPP77123",
        "gstin": "29AABCT1234K1ZB",
        "state": "29",
        "city": "Bengaluru",
        "contact_name": "Asha Rao",
        "contact_email": "asha@gamma.example.in",
        "contact_mobile": "9876501234",
        "languages": ["en", "kn"],
        "capacity": 30,
        "accepting_assignments": True,
        "status": "active",
    },
}


# --- The error responses every operation declares (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) ---

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Every error has this shape. `detail` is for people, `code` for programs (`invalid`, "
        "`not_authenticated`, `authentication_failed`, `permission_denied`, `not_found`, `conflict`, "
        "`method_not_allowed`, `not_acceptable`, `unsupported_media_type`, `parse_error`, `throttled`), "
        "`errors` lists messages field by field (`non_field_errors`: the request as a whole). "
        "A 400 also repeats each field's messages at the top level (deprecated; gone in v2)."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "code", "errors"],
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERRORS = {
    "400": "Invalid input (body, filter or page): `errors` says why, field by field. Nothing was written.",
    "401": "No token or session, or the token is unknown, expired or revoked.",
    "403": "Your role may not do this (or a session's CSRF token is missing).",
    "404": "No such object, not one you can see, or no such page of the list.",
    "406": "The `Accept` header asks for something other than JSON.",
    "409": "The object's state forbids this now (e.g. the claim was already decided): reload it.",
    "415": "The body's content type is not JSON, a form or multipart/form-data.",
    "429": "Too many requests (e.g. failed sign-ins): the detail says when to try again.",
}
ID_BOUNDS = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ID_PARAMETERS = {"id", "exporter", "startup", "sector", "agent"}


def _error_statuses(method: str, operation: dict) -> list[str]:
    params = {param["in"] for param in operation.get("parameters", [])}
    statuses = ["401", "403", "406", "429"]
    # Every write binds a form, which refuses unknown body fields, even one that takes none (undo).
    if "requestBody" in operation or "query" in params or method in ("post", "put", "patch"):
        statuses.append("400")
    if "path" in params or "query" in params:
        statuses.append("404")  # a path id, or a page past the last
    if method in ("post", "put", "patch", "delete"):
        statuses += ["409", "415"]
    return sorted(statuses)


def _bound_parameters(operation: dict) -> None:
    for param in operation.get("parameters", []):
        if param["in"] == "query" and param["name"] != "page" and not param.get("required"):
            param["allowEmptyValue"] = True  # `?stage=` is a filter left unset, as a page's bar sends it
        if param["name"] in ID_PARAMETERS and param["schema"].get("type") == "integer":
            param["schema"] = {**param["schema"], **ID_BOUNDS}
        elif param["name"] == "stage" and param["in"] == "query":
            param["schema"] = STAGE_CODE
            param["description"] = "A stage's code (GET /api/v1/stages/); an unknown code matches nothing."
        elif param["in"] == "query" and _free_text(param["schema"]):
            param["schema"] = {**param["schema"], "pattern": PLAIN_TEXT}
        elif param["name"] == "page":
            param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            param["description"] = f"A page of the list, from 1 ({settings.REST_FRAMEWORK['PAGE_SIZE']} a page)."


def _free_text(schema: dict) -> bool:
    return schema.get("type") == "string" and not {"enum", "pattern", "format"} & schema.keys()


def _closed_body(schema: dict) -> None:
    schema["additionalProperties"] = False
    schema["description"] = (schema.get("description", "") + " Any other field is refused with a 400.").strip()


# Rules between a body's fields that the forms check, stated in the schema (OpenAPI 3.0 has no if/then).
_OUTCOME_KINDS = sorted(str(kind) for kind in OUTCOME_KINDS)
OUTCOME_RULE = {
    "oneOf": [
        {"properties": {"kind": {"enum": _OUTCOME_KINDS}}, "required": ["outcome"]},
        {"properties": {"kind": {"not": {"enum": _OUTCOME_KINDS}}}},
    ],
    "description": "A call or visit needs its `outcome`; other work keeps none.",
}
EXPORTER_RULE = {
    "anyOf": [{"required": ["exporter"]}, {"required": ["exporter_search"]}],
    "description": "The exporter is `exporter` (an id) or `exporter_search` (text naming one of yours).",
}
WORK_YEARS = "^(?:2[0-9][0-9][1-9]|2[0-9][1-9]0|2[1-9]00)-"
STAGE_CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 40}


def _true_fields(name: str, schema: dict) -> None:
    """What the forms check beyond each field's own type: a GSTIN's check character (`format`),
    the sign-in's non-blank username and password, a call or visit's outcome."""
    gstin = IDENTIFIER_PATTERNS[v.clean_gstin]
    for prop in schema.get("properties", {}).values():
        if gstin in prop.get("pattern", ""):
            prop["format"] = "gstin"
    if name == "TokenRequest":
        for field in ("username", "password"):
            schema["properties"][field]["minLength"] = 1
    if name in ("ActivityRequest", "ActivityMultipartRequest"):
        schema["allOf"] = [{"oneOf": OUTCOME_RULE["oneOf"]}, {"anyOf": EXPORTER_RULE["anyOf"]}]
        schema["description"] = f"{OUTCOME_RULE['description']} {EXPORTER_RULE['description']}"
        # ActivityForm.EARLIEST: work before 2000 is a typo (the year 2000 itself is left out here,
        # so that its first hours in a zone ahead of UTC, still 1999 in UTC, are never promised).
        schema["properties"]["occurred_at"]["pattern"] = WORK_YEARS
        schema["properties"]["occurred_at"]["description"] = "When: from 2001, and not in the future."


def _files_in_multipart_only(result: dict, components: dict) -> None:
    """A JSON or URL-encoded body cannot carry a file (the API refuses one there with a 400): its
    schema leaves the files out, and multipart/form-data gets `<Name>MultipartRequest`, with them."""
    split = {name: files for name, files in _FILES.items() if files and name in components}
    for name, files in split.items():
        multipart = dict(components[name], properties=dict(components[name]["properties"]))
        components[name.removesuffix("Request") + "MultipartRequest"] = multipart
        components[name] = {
            **components[name],
            "properties": {k: p for k, p in components[name]["properties"].items() if k not in files},
            "description": "Files are sent in a multipart/form-data body.",
        }
        if "required" in components[name]:
            components[name]["required"] = [k for k in components[name]["required"] if k not in files]
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            name = body["schema"].get("$ref", "").rsplit("/", 1)[-1] if body else ""
            if name in split:
                body["schema"] = {"$ref": f"#/components/schemas/{name.removesuffix('Request')}MultipartRequest"}


def errors_everywhere(result, generator, request, public):
    """Declare the error responses and bounds the API really has, on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    _files_in_multipart_only(result, components)
    for name, schema in components.items():
        if name.endswith("Request") and schema.get("type") == "object":
            _true_fields(name, schema)
            _closed_body(schema)
        if name in EXAMPLES:
            schema["example"] = EXAMPLES[name]  # a body the form accepts as it stands
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            _bound_parameters(operation)
            for code in _error_statuses(method, operation):
                operation["responses"].setdefault(
                    code,
                    {
                        "description": ERRORS[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result

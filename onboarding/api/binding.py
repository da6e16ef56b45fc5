"""Binding the portal's Django forms to API requests, so the API validates exactly as the pages do.

The forms are the validators (docs/architecture.md#one-door-per-protocol): the API never re-declares a field's
rules. What is added here is only what a JSON body needs that a browser post does
not: the body must be an object, values must be of a plain type (a dict where a
name goes is refused, not stringified), and PATCH starts from the object's current
values so that an omitted field keeps its value.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from ..filters import parse_id
from ..forms.fields import ListField

NON_FIELD = "non_field_errors"
# A service refusal with this code means "someone else got there first" (a claim already
# decided, a payout already made): a 409, not a 400, with the same body shape.
CONFLICT_CODE = "conflict"
SCALARS = (str, int, float, bool, type(None))
# Keys of the error body itself (see `error_body`): a field of that name is reported under `errors` only.
ERROR_KEYS = frozenset({"detail", "code", "errors"})
# Sent by a browser's form with the session's CSRF token; not a field of any form.
IGNORED = frozenset({"csrfmiddlewaretoken"})
NOT_A_STRING = "Expected a string."
NOT_A_NUMBER = "Expected a number."
NOT_A_BOOLEAN = "Expected true or false."
NOT_A_LIST = "Expected a list."


def _many(field: forms.Field) -> bool:
    return isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField | ListField)


def _by_pk(field: forms.Field) -> bool:
    return isinstance(field, forms.ModelChoiceField) and not getattr(field, "to_field_name", None)


def _id_error(field: forms.Field, value) -> str | None:
    """A model choice by id must be a database id: a number past the column's range (or "²", 0, -1)
    is refused with the form's own message before it reaches a query (SQLite raises OverflowError)."""
    if parse_id(value) is not None:
        return None
    if isinstance(field, forms.ModelMultipleChoiceField):
        return field.error_messages["invalid_pk_value"] % {"pk": value}
    return str(field.error_messages["invalid_choice"])


def _item_error(field: forms.Field, value) -> str | None:
    """Why a JSON value cannot be the value of this form field, if it cannot (None when it can)."""
    if value is None:
        return None  # an empty value: the form says whether the field is required
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return None if isinstance(value, bool | str) else NOT_A_BOOLEAN
    if isinstance(value, bool):
        return NOT_A_STRING if not isinstance(field, forms.IntegerField | forms.DecimalField) else NOT_A_NUMBER
    if _by_pk(field):
        return _id_error(field, value) if isinstance(value, int | str) else NOT_A_NUMBER
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return None if isinstance(value, int | float | str) else NOT_A_NUMBER
    if not isinstance(value, str):
        # A form's text field calls str methods on what it is given: a number where text goes
        # would be an AttributeError (500), and silently stringifying it would hide a client bug.
        return NOT_A_STRING
    return None


def _value_errors(field: forms.Field, value) -> list[str]:
    if _many(field):
        if isinstance(value, list | tuple):
            if not all(isinstance(item, SCALARS) and item is not None for item in value):
                return ["Each item must be a string or a number."]
            return list(dict.fromkeys(e for e in (_item_error(field, item) for item in value) if e))
        if not isinstance(field, ListField) and not isinstance(value, str):
            return [NOT_A_LIST]  # a ListField also takes one comma-separated string, as the page does
    elif not isinstance(value, SCALARS):
        return [NOT_A_LIST if _many(field) else "Expected a string, a number or a boolean."]
    error = _item_error(field, value)
    return [error] if error else []


def _unknown(names, form_fields: Mapping[str, forms.Field], extra: frozenset[str]) -> dict:
    allowed = sorted(set(form_fields) | extra)
    unknown = [name for name in names if name not in form_fields and name not in extra and name not in IGNORED]
    message = "Unknown field: this request takes " + ", ".join(allowed) + "."
    return {str(name)[:100]: [message] for name in unknown[:20]}


def unknown_fields(names, allowed) -> dict:
    """Errors for body fields outside `allowed` (for endpoints with a serializer, not a form): the closed-body rule."""
    return _unknown(names, dict.fromkeys(allowed), frozenset())


def _plain(data, form_fields: Mapping[str, forms.Field], extra: frozenset[str] = frozenset()) -> dict:
    """The request body as a dict of form values, with types checked. A name the form does not
    have is refused (a misspelt optional field would otherwise be dropped without a word)."""
    if isinstance(data, QueryDict):
        errors = _unknown(data.keys(), form_fields, extra)
        values = {}
        for name, field in form_fields.items():
            if name in data:
                items = data.getlist(name)
                # A multiple choice takes a list even of one (`sectors=1`); a ListField also reads
                # one comma-separated value, as the page sends it.
                listed = _many(field) and (len(items) > 1 or not isinstance(field, ListField))
                values[name] = items if listed else items[-1]
                if not isinstance(field, forms.FileField) and (problems := _value_errors(field, values[name])):
                    errors[name] = problems
        if errors:
            raise ValidationError(errors)
        return values
    if not isinstance(data, Mapping):
        raise ValidationError({NON_FIELD: ["Send a JSON object with the fields to set."]})
    values, errors = {}, _unknown(data.keys(), form_fields, extra)
    for name, field in form_fields.items():
        if name not in data:
            continue
        if isinstance(field, forms.FileField):
            errors[name] = ["Send files in a multipart/form-data request."]
            continue  # files come from request.FILES (multipart), never from a JSON body
        if problems := _value_errors(field, data[name]):
            errors[name] = problems
        else:
            values[name] = list(data[name]) if isinstance(data[name], list | tuple) else data[name]
    if errors:
        raise ValidationError(errors)
    return values


def _current_values(form: forms.BaseForm) -> dict:
    """A model form's initial values (the object as it is), as a body would send them."""
    values = {}
    for name, value in form.initial.items():
        if isinstance(value, list | tuple):
            value = [getattr(item, "pk", item) for item in value]
        values[name] = value
    return values


def bind(
    form_class, request, *, instance=None, partial: bool = False, extra: tuple[str, ...] = (), **kwargs
) -> forms.BaseForm:
    """A bound, valid form for the request, or a 400 with the form's own field errors.
    `extra`: body fields the view reads itself (e.g. the exporter a claim is for)."""
    unbound = form_class(instance=instance, **kwargs) if instance is not None else form_class(**kwargs)
    data = _plain(request.data, unbound.fields, frozenset(extra))
    if partial and instance is not None:
        data = {**_current_values(unbound), **data}
    extra = {"instance": instance} if instance is not None else {}
    form = form_class(data, request.FILES or None, **extra, **kwargs)
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    return form


def form_errors(form: forms.BaseForm) -> dict:
    return {(NON_FIELD if name == "__all__" else name): list(errors) for name, errors in form.errors.items()}


def service_errors(exc: DjangoValidationError) -> ValidationError:
    """A service's refusal (a Django ValidationError) as a 400 in the API's error shape."""
    if hasattr(exc, "error_dict"):
        return ValidationError({(NON_FIELD if k == "__all__" else k): v for k, v in exc.message_dict.items()})
    return ValidationError({NON_FIELD: exc.messages})


class Conflict(APIException):
    """The request is valid but the object's state forbids it now (e.g. a claim already decided): 409."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object has changed: reload it and decide again."
    default_code = CONFLICT_CODE


def _is_conflict(exc: DjangoValidationError) -> bool:
    errors = exc.error_list if hasattr(exc, "error_list") else []
    return bool(errors) and all(error.code == CONFLICT_CODE for error in errors)


def _messages(value) -> list[str]:
    """Any DRF error detail (a string, a list, a nested dict) as a flat list of strings."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def error_body(exc: APIException) -> dict:
    """The one error shape of the API (schema: `Error`): `detail` for people, `code` for programs,
    `errors` field by field (`non_field_errors` for the request as a whole). A 400 also repeats
    each field's messages at the top level, as `/api/v1/` always has (see the CHANGELOG)."""
    detail = exc.detail
    if isinstance(exc, ValidationError):
        fields = detail if isinstance(detail, dict) else {NON_FIELD: detail}
        errors = {str(name): _messages(value) for name, value in fields.items()}
        messages = [message for field in errors.values() for message in field]
        summary = messages[0] if len(messages) == 1 else f"{len(messages)} problems: see `errors`."
        legacy = {name: value for name, value in errors.items() if name not in ERROR_KEYS}
        return {**legacy, "detail": summary, "code": "invalid", "errors": errors}
    messages = _messages(detail)
    code = str(getattr(detail, "code", None) or exc.default_code)
    if isinstance(exc, Conflict):  # a 409 has always carried its reason as `non_field_errors`
        return {NON_FIELD: messages, "detail": " ".join(messages), "code": code, "errors": {NON_FIELD: messages}}
    return {"detail": " ".join(messages), "code": code, "errors": {}}


def exception_handler(exc, context):
    """DRF's handler with every error in one shape (`error_body`), and a service's refusal (Django's
    ValidationError) as a 400 with field errors (a 409 when it is a conflict), so API views call
    services without a try/except each (settings: EXCEPTION_HANDLER). New refusals raise an
    APIException (e.g. `Conflict`)."""
    if isinstance(exc, DjangoValidationError):
        exc = Conflict(" ".join(exc.messages)) if _is_conflict(exc) else service_errors(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, APIException):
        exc = NotFound() if response.status_code == 404 else PermissionDenied()  # Http404 / Django's
    response.data = error_body(exc)
    return response

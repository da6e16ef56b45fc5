"""Binding the portal's Django forms to API requests, so the API validates exactly as the pages do.

The forms are the validators (STYLE §1/§4): the API never re-declares a field's
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
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from ..forms.fields import ListField

NON_FIELD = "non_field_errors"
# A service refusal with this code means "someone else got there first" (a claim already
# decided, a payout already made): a 409, not a 400, with the same body shape.
CONFLICT_CODE = "conflict"
SCALARS = (str, int, float, bool, type(None))


def _many(field: forms.Field) -> bool:
    return isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField | ListField)


def _plain(data, form_fields: Mapping[str, forms.Field]) -> dict:
    """The request body as a dict of form values, with types checked; only the form's fields are kept."""
    if isinstance(data, QueryDict):
        values = {}
        for name, field in form_fields.items():
            if name in data:
                items = data.getlist(name)
                values[name] = items if _many(field) and len(items) > 1 else items[-1]
        return values
    if not isinstance(data, Mapping):
        raise ValidationError({NON_FIELD: ["Send a JSON object with the fields to set."]})
    values, errors = {}, {}
    for name, field in form_fields.items():
        if name not in data or isinstance(field, forms.FileField):
            continue  # files come from request.FILES (multipart), never from the body's values
        value = data[name]
        if _many(field) and isinstance(value, list | tuple):
            if all(isinstance(item, SCALARS) and item is not None for item in value):
                values[name] = list(value)
                continue
            errors[name] = ["Each item must be a string or a number."]
        elif isinstance(value, SCALARS):
            values[name] = value
        else:
            errors[name] = ["Expected a list." if _many(field) else "Expected a string, a number or a boolean."]
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


def bind(form_class, request, *, instance=None, partial: bool = False, **kwargs) -> forms.BaseForm:
    """A bound, valid form for the request, or a 400 with the form's own field errors."""
    unbound = form_class(instance=instance, **kwargs) if instance is not None else form_class(**kwargs)
    data = _plain(request.data, unbound.fields)
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
    status_code = status.HTTP_409_CONFLICT
    default_code = CONFLICT_CODE


def _is_conflict(exc: DjangoValidationError) -> bool:
    errors = exc.error_list if hasattr(exc, "error_list") else []
    return bool(errors) and all(error.code == CONFLICT_CODE for error in errors)


def exception_handler(exc, context):
    """DRF's handler, plus a service's refusal (Django's ValidationError) as a 400 with field
    errors (a 409 when the refusal is a conflict), so API views call services without a
    try/except each (settings: EXCEPTION_HANDLER)."""
    if isinstance(exc, DjangoValidationError):
        exc = Conflict({NON_FIELD: exc.messages}) if _is_conflict(exc) else service_errors(exc)
    return drf_exception_handler(exc, context)

"""OpenAPI request bodies derived from the portal's forms, so the docs follow the validators.

These serializers describe; they never validate (the forms do, see api/forms.py).
"""

from __future__ import annotations

from django import forms
from rest_framework import serializers

from ..forms.fields import ListField
from ..models import Exporter

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
        return serializers.ListField(child=serializers.CharField(), **common)
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
                return serializer_type(max_digits=field.max_digits, decimal_places=field.decimal_places, **common)
            return serializer_type(**common)
    return serializers.CharField(max_length=getattr(field, "max_length", None), **common)


_BODIES: dict[str, type[serializers.Serializer]] = {}


def body_for(form_class, name: str, **form_kwargs) -> type[serializers.Serializer]:
    """A Serializer class named `name` describing the form's fields (one class per name)."""
    if name not in _BODIES:
        attrs = {field_name: _describe(field) for field_name, field in form_class(**form_kwargs).fields.items()}
        _BODIES[name] = type(name, (serializers.Serializer,), attrs)
    return _BODIES[name]

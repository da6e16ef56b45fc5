"""get_FOO_display() by one dict look-up, on every model of the app with a field of choices.

Django's own builds a dict of the field's choices on every call, hashing each label; the labels
are lazily translated, so each hash translates it: eight choices cost eight translations, per
row (a work log of 50 entries made some 400). Here the dict is built once per field, and only
the label shown is translated.
"""

from __future__ import annotations

from functools import cache

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


@cache
def _labels(field) -> dict:
    return {make_hashable(value): label for value, label in field.flatchoices}


class ChoiceLabels:
    """A model mixin: the same answer as Django's get_FOO_display, without its per-call dict."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)

"""Form fields and widgets shared by the forms: lists, identifiers, countries, dates, fast selects."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils.html import format_html, format_html_join
from django_filters.widgets import BaseCSVWidget

from ..reference import STATE_CHOICES, state_code


def _split_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        items = value
    else:
        items = str(value or "").replace(";", ",").replace("|", ",").replace("\n", ",").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


class ListField(forms.CharField):
    """A comma-separated list in a text box, each item cleaned by `item_clean`."""

    def __init__(self, *, item_clean, **kwargs):
        self.item_clean = item_clean
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        items, errors = [], []
        for item in _split_list(value):
            try:
                cleaned = self.item_clean(item)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            if cleaned not in items:
                items.append(cleaned)
        if errors:
            raise ValidationError(errors)
        return items


class IdentifierField(forms.CharField):
    """Free-typed identifier, normalised and checked by a validators.clean_* function.

    The raw input may be longer than the stored value (spaces, hyphens, "+91 "), so
    length is checked by the cleaner, not by max_length.
    """

    def __init__(self, *, cleaner, **kwargs):
        self.cleaner = cleaner
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.cleaner(value) if value else ""


class StateField(forms.TypedChoiceField):
    """An Indian state or union territory, chosen from a list or typed as a name, code or
    common spelling ("Tamilnadu", "Orissa", "J&K"): imports and the API send text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", [("", "---------"), *STATE_CHOICES])
        kwargs.setdefault("label", "State or union territory")
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return (state_code(value) or value) if value not in self.empty_values else ""


def sectioned_helper(sections: list[tuple[str, list[str]]]) -> FormHelper:
    """A crispy helper that shows a long form in titled sections, two fields a row on a
    desktop and one on a phone; the template writes the <form> tag and the buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(
        *(
            Fieldset(
                title,
                *(
                    Row(*(Column(name, css_class="col-md-6") for name in names[i : i + 2]))
                    for i in range(0, len(names), 2)
                ),
                css_class="form-section",
            )
            for title, names in sections
        )
    )
    return helper


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class QuickSelect(forms.Select):
    """A select that writes its options in Python. Django renders each option through two
    templates; on a list page's filter bar that was a quarter of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], " selected" if option["selected"] else "", option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(widget["attrs"]), options)


class QuickInput(Input):
    """An <input> written in Python, as Django's template would write it (see QuickSelect)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html('<input type="{}" name="{}"{}{}>', widget["type"], name, flatatt(widget["attrs"]), shown)


class QuickTextInput(QuickInput, forms.TextInput):
    pass


class QuickHiddenInput(QuickInput, forms.HiddenInput):
    pass


class QuickDateInput(QuickInput, forms.DateInput):
    pass


class QuickCSVSelect(BaseCSVWidget, QuickSelect):
    """django-filter's sort select (one value, or several joined by commas), options in Python."""


# Each widget a filter bar uses, and its Python-written twin (a subclass: same attributes,
# choices and value formatting).
QUICK = {
    forms.Select: QuickSelect,
    forms.TextInput: QuickTextInput,
    forms.HiddenInput: QuickHiddenInput,
    forms.DateInput: QuickDateInput,
}


def quick(widget: forms.Widget) -> forms.Widget:
    """`widget` written in Python when it is one of QUICK's (same attributes and choices);
    anything else (multiple selects, checkboxes…) as it is."""
    faster = QUICK.get(type(widget))
    if type(widget).__bases__ == (BaseCSVWidget, forms.Select):  # the sort select, a class made per field
        faster = QuickCSVSelect
    if faster is not None:
        widget.__class__ = faster  # a subclass of its own class: nothing else changes
    return widget

"""Form fields and widgets shared by the forms: lists, identifiers, countries, dates."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..reference import STATE_CHOICES, state_code
from ..validators import parse_id


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
        kwargs.setdefault("label", _("State or union territory"))
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


# --- Ids ---------------------------------------------------------------------------------
# Django's model choice fields look an id up through int(), which reads any script's digits:
# "١٢" (Arabic-Indic) or "１２" (full-width) is 12, and a reassign form once moved an exporter
# to startup 12 that way. Every form here that takes an id uses these, which read ASCII digits
# only, as the filter bars (filters.IdChoiceField) and the API (api/binding.py) do.


def _by_pk(field: forms.ModelChoiceField) -> bool:
    return field.to_field_name in (None, "id", "pk")


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """Reads the choices in one plain query, where Django's opens a server-side cursor (DECLARE,
    FETCH, CLOSE: three round trips) for the few stages, sectors or people of a select."""

    def leading(self) -> list[tuple]:
        """The choices before the objects: the empty one."""
        return [("", self.field.empty_label)] if self.field.empty_label is not None else []

    def __iter__(self):
        yield from self.leading()
        for obj in self.queryset.all():
            yield self.choice(obj)


class IdModelChoiceField(forms.ModelChoiceField):
    """A model chosen by its id, written in ASCII digits (else "Select a valid choice")."""

    iterator = ListedChoiceIterator

    def to_python(self, value):
        typed = value not in self.empty_values and not isinstance(value, self.queryset.model)
        if typed and _by_pk(self) and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Models chosen by their ids, each written in ASCII digits."""

    def _check_values(self, value):
        if _by_pk(self):
            for pk in value:
                if parse_id(pk) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)


class IdIntegerField(forms.IntegerField):
    """An id typed as a number (a hidden field a script fills): ASCII digits only, as above."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, int) and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

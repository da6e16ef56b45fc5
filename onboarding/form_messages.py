"""Django's default form messages, said the way the rest of the portal speaks (GOV.UK style):
what is wrong with which field, and what to type instead.

"Ensure this value is greater than or equal to 1." becomes "Minutes must be between 1 and
1,440"; "This field is required." becomes "Enter the note" (or "Choose the kind" for a
choice, "Choose the file to upload" for a file); "Select a valid choice." becomes "Choose
the state from the list". Only Django's own wording is replaced: a message a form wrote
itself (its `error_messages`, its clean methods, a service's refusal) is kept as it is.

`plain_form_messages` hooks this into every form's full_clean (the pages, the filter bars,
the API which binds the same forms, Django's admin), like control_characters.py's guard,
rather than into each form: one place, and a form written tomorrow gets it too.
"""

from __future__ import annotations

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

# Field classes whose default messages are Django's wording, to be told apart from a form's own.
_FIELD_CLASSES = (
    forms.Field, forms.CharField, forms.IntegerField, forms.FloatField, forms.DecimalField, forms.DateField,
    forms.DateTimeField, forms.TimeField, forms.DurationField, forms.URLField, forms.EmailField, forms.ChoiceField,
    forms.TypedChoiceField, forms.MultipleChoiceField, forms.ModelChoiceField, forms.ModelMultipleChoiceField,
    forms.FileField, forms.ImageField, forms.BooleanField, forms.UUIDField, forms.JSONField,
)  # fmt: skip
_VALIDATOR_MESSAGES = {
    "min_value": [validators.MinValueValidator.message],
    "max_value": [validators.MaxValueValidator.message],
    "min_length": [validators.MinLengthValidator.message],
    "max_length": [validators.MaxLengthValidator.message],
    "invalid": [validators.URLValidator.message, validators.EmailValidator.message],
    **{code: [message] for code, message in validators.DecimalValidator.messages.items()},
}


def _django_defaults() -> dict[str, set[str]]:
    defaults: dict[str, set[str]] = {}
    for cls in _FIELD_CLASSES:
        for klass in cls.__mro__:
            for code, message in getattr(klass, "default_error_messages", {}).items():
                defaults.setdefault(code, set()).add(str(message))
    for code, messages in _VALIDATOR_MESSAGES.items():
        defaults.setdefault(code, set()).update(str(m) for m in messages)
    return defaults


QUESTION_WORDS = frozenset({"when", "what", "which", "how", "who", "why", "where"})


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Buyer country" -> "buyer country"; "GSTIN", "PIN code" keep their capitals."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def plain_message(field: forms.Field, name: str, error: ValidationError) -> str | None:
    """The field's problem in plain words, or None to keep Django's (an unknown code)."""
    label = str(field.label or pretty_name(name)).rstrip(":")
    what, subject = in_sentence(label), label[:1].upper() + label[1:]
    params = error.params or {}
    code = error.code
    question = label.endswith("?")
    # "Enter when as a date and time", not "Enter the when".
    the_what = what if what.split(" ")[0] in QUESTION_WORDS else f"the {what}"
    if code == "required":
        if question:
            return f"Answer “{label}”"
        if what.split(" ")[0] in QUESTION_WORDS:  # "When" -> "Say when"
            return f"Say {what}"
        if isinstance(field, forms.FileField):
            return f"Choose the {what} to upload"
        if isinstance(field, forms.BooleanField):
            return f"Tick “{label}” to go on"
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            return f"Choose the {what}"
        return f"Enter the {what}"
    if code in ("min_value", "max_value"):
        low = next((v.limit_value for v in field.validators if isinstance(v, validators.MinValueValidator)), None)
        high = next((v.limit_value for v in field.validators if isinstance(v, validators.MaxValueValidator)), None)
        if low is not None and high is not None:
            return f"{subject} must be between {_number(low)} and {_number(high)}"
        if code == "min_value":
            return f"{subject} must be {_number(params.get('limit_value', low))} or more"
        return f"{subject} must be {_number(params.get('limit_value', high))} or less"
    if code == "max_length":
        limit, length = _number(params.get("limit_value")), params.get("show_value")
        return f"{subject} must be {limit} characters or fewer; it has {length}"
    if code == "min_length":
        return f"{subject} must be {_number(params.get('limit_value'))} characters or more"
    if code in ("invalid_choice", "invalid_pk_value"):
        return f"Choose an answer to “{label}” from the list" if question else f"Choose the {what} from the list"
    if code == "invalid":
        if isinstance(field, forms.IntegerField):
            return f"Enter {the_what} as a whole number, like 30"
        if isinstance(field, forms.DecimalField | forms.FloatField):
            return f"Enter {the_what} as a number, like 1250.50"
        if isinstance(field, forms.DateTimeField):
            return f"Enter {the_what} as a date and time, like 2026-11-30 14:05"
        if isinstance(field, forms.DateField):
            return f"Enter {the_what} as a real date, like 2026-11-30"
        if isinstance(field, forms.URLField):
            return f"Enter {the_what} as a web address, like https://example.com/page"
        if isinstance(field, forms.EmailField):
            return "Enter an email address like name@example.com"
        return None
    if code == "max_digits":
        return f"{subject} can have at most {params.get('max')} digits"
    if code == "max_decimal_places":
        return f"{subject} can have at most {params.get('max')} decimal places, like 12.50"
    if code == "max_whole_digits":
        return f"{subject} can have at most {params.get('max')} digits before the decimal point"
    return None


def plain_errors(form: forms.BaseForm, defaults: dict[str, set[str]]) -> None:
    """Replace, in a cleaned form's errors, each of Django's default messages by a plain one."""
    for name, errors in (form._errors or {}).items():
        field = form.fields.get(name)
        if field is None:
            continue
        for index, error in enumerate(errors.data):
            if not isinstance(error, ValidationError) or str(error.message) not in defaults.get(error.code, ()):
                continue
            message = plain_message(field, name, error)
            if message:
                errors.data[index] = ValidationError(message, code=error.code)


def plain_form_messages() -> None:
    """Hook `plain_errors` into every form's full_clean; called once from OnboardingConfig.ready()."""
    if getattr(forms.BaseForm.full_clean, "says_plain_messages", False):
        return
    full_clean = forms.BaseForm.full_clean
    defaults = _django_defaults()

    def clean_and_say_plainly(self):
        full_clean(self)
        if self.is_bound and self._errors:
            plain_errors(self, defaults)

    clean_and_say_plainly.says_plain_messages = True
    forms.BaseForm.full_clean = clean_and_say_plainly

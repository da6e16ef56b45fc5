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
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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
    # "the when" is never said; in Hindi there is no "the" at all (its translation is "%(what)s").
    the_what = what if what.split(" ")[0] in QUESTION_WORDS else _("the %(what)s") % {"what": what}
    words = {"label": label, "what": what, "subject": subject}
    if code == "required":
        if question:
            return _("Answer “%(label)s”") % words
        if what.split(" ")[0] in QUESTION_WORDS:  # "When" -> "Say when"
            return _("Say %(what)s") % words
        if isinstance(field, forms.FileField):
            return _("Choose the %(what)s to upload") % words
        if isinstance(field, forms.BooleanField):
            return _("Tick “%(label)s” to go on") % words
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            return _("Choose the %(what)s") % words
        return _("Enter the %(what)s") % words
    if code in ("min_value", "max_value"):
        low = next((v.limit_value for v in field.validators if isinstance(v, validators.MinValueValidator)), None)
        high = next((v.limit_value for v in field.validators if isinstance(v, validators.MaxValueValidator)), None)
        if low is not None and high is not None:
            return _("%(subject)s must be between %(low)s and %(high)s") % {
                **words,
                "low": _number(low),
                "high": _number(high),
            }
        if code == "min_value":
            return _("%(subject)s must be %(limit)s or more") % {
                **words,
                "limit": _number(params.get("limit_value", low)),
            }
        return _("%(subject)s must be %(limit)s or less") % {**words, "limit": _number(params.get("limit_value", high))}
    if code == "max_length":
        limit, length = _number(params.get("limit_value")), params.get("show_value")
        return _("%(subject)s must be %(limit)s characters or fewer; it has %(length)s") % {
            **words,
            "limit": limit,
            "length": length,
        }
    if code == "min_length":
        return _("%(subject)s must be %(limit)s characters or more") % {
            **words,
            "limit": _number(params.get("limit_value")),
        }
    if code in ("invalid_choice", "invalid_pk_value"):
        if question:
            return _("Choose an answer to “%(label)s” from the list") % words
        return _("Choose the %(what)s from the list") % words
    if code == "invalid":
        return _invalid_message(field, the_what)
    if code == "max_digits":
        return _("%(subject)s can have at most %(max)s digits") % {**words, "max": params.get("max")}
    if code == "max_decimal_places":
        return _("%(subject)s can have at most %(max)s decimal places, like 12.50") % {
            **words,
            "max": params.get("max"),
        }
    if code == "max_whole_digits":
        return _("%(subject)s can have at most %(max)s digits before the decimal point") % {
            **words,
            "max": params.get("max"),
        }
    return None


def _invalid_message(field: forms.Field, the_what: str) -> str | None:
    """A value of the wrong shape: say the shape, with an example."""
    words = {"what": the_what}
    if isinstance(field, forms.IntegerField):
        return _("Enter %(what)s as a whole number, like 30") % words
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return _("Enter %(what)s as a number, like 1250.50") % words
    if isinstance(field, forms.DateTimeField):
        return _("Enter %(what)s as a date and time, like 2026-11-30 14:05") % words
    if isinstance(field, forms.DateField):
        return _("Enter %(what)s as a real date, like 2026-11-30") % words
    if isinstance(field, forms.URLField):
        return _("Enter %(what)s as a web address, like https://example.com/page") % words
    if isinstance(field, forms.EmailField):
        return _("Enter an email address like name@example.com")
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
    # Django's default messages as the active language says them (a page in Hindi gets Django's
    # Hindi wording to replace), worked out once per language.
    defaults = {get_language(): _django_defaults()}

    def clean_and_say_plainly(self):
        full_clean(self)
        if self.is_bound and self._errors:
            language = get_language()
            if language not in defaults:
                defaults[language] = _django_defaults()
            plain_errors(self, defaults[language])

    clean_and_say_plainly.says_plain_messages = True
    forms.BaseForm.full_clean = clean_and_say_plainly

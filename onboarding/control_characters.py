"""Control characters: the one rule that keeps them out of text that reaches the database.

Nobody types a NUL byte or an escape character; they come from broken copies and from people
probing the site. PostgreSQL refuses a NUL in text outright (a 500 where it reached a query),
and the other control characters hide or garble what staff later read. So every text input
that is stored or searched for is refused with a plain message when it holds one: tab, line
feed and carriage return are text, everything else below a space (and DEL) is not.

`validate_plain_text` is the rule. `guard_form_fields` puts it on every form field's cleaning
(the pages' forms, the filter bars, the API, which binds the same forms, and Django's admin);
the few places that read a raw parameter (the status page's comments, the type-ahead, the
filter bar's startup name) call it, or `has_control_characters`, themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = (
    "This text holds an invisible control character (such as a NUL byte) that cannot be saved: "
    "type it again, or paste it as plain text."
)
CODE = "control_characters"


def has_control_characters(value: object) -> bool:
    """Whether a text, or any text inside a list or a mapping (a JSON value), holds a control character."""
    if isinstance(value, str):
        # isprintable() is false for every control character and far cheaper than the search
        # (an import asks this twice a cell); the search tells them from line ends and the like.
        return not value.isprintable() and CONTROL_RE.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_control_characters(item) for item in value)
    return False


def validate_plain_text(value: object) -> None:
    """Refuse text holding a control character other than tab, line feed and carriage return."""
    if has_control_characters(value):
        raise ValidationError(MESSAGE, code=CODE)


def guard_form_fields() -> None:
    """Make every Django form field refuse control characters, in what it was given and in what
    it cleaned.

    Hooked into Field.clean and Field.run_validators rather than into each field's validators:
    form classes are built at import time, some before this app's ready(), and a field created
    then would otherwise miss the rule. clean() sees the raw value, before to_python strips its
    ends ("Tiruppur\\x0c" is refused like "Tiru\\x0cppur", as the API's schema says);
    run_validators() covers the fields whose own clean() never calls Field.clean (a model
    multiple choice). Called once from OnboardingConfig.ready(); calling it again changes nothing.
    """
    if getattr(forms.Field.run_validators, "guards_control_characters", False):
        return
    clean, run_validators = forms.Field.clean, forms.Field.run_validators

    def guarded_clean(self, value):
        validate_plain_text(value)
        return clean(self, value)

    def guarded_run_validators(self, value):
        run_validators(self, value)
        if value not in self.empty_values:
            validate_plain_text(value)

    guarded_clean.guards_control_characters = guarded_run_validators.guards_control_characters = True
    forms.Field.clean, forms.Field.run_validators = guarded_clean, guarded_run_validators

"""Which columns a model's text (`__str__`) reads, so that a read naming a related row in words
can take those columns and no more (`.only(*Startup.shown_as("startup"), …)`).

A page that shows a related person, startup or exporter as text once read its whole row; the
lists of narrowed reads each spelled the columns out again. They now ask the model, which
keeps its `STR_FIELDS` beside its `__str__`; `test_shown_as.py` checks the two agree.
"""

from __future__ import annotations


class ShownAs:
    """A model mixin: `STR_FIELDS`, the columns `__str__` reads, and `shown_as(relation)`."""

    STR_FIELDS: tuple[str, ...] = ()

    @classmethod
    def shown_as(cls, relation: str) -> tuple[str, ...]:
        """The relation and the columns its text reads, for `.only()` across `relation`."""
        return (relation, *(f"{relation}__{name}" for name in cls.STR_FIELDS))

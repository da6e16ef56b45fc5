from __future__ import annotations

from django.db import models


class ScopedQuerySet(models.QuerySet):
    """The one place that decides who sees which rows.

    Programme staff see every row; a startup's member sees their startup's rows
    (`for_startup`); anyone else sees nothing. Subclasses say how a row belongs to a
    startup, either with `startup_lookup` or by overriding `for_startup`.
    """

    startup_lookup = "startup_id"

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_programme_staff:
            return self
        membership = user.active_membership
        return self.for_startup(membership.startup_id) if membership else self.none()

    def for_startup(self, startup_id: int):
        return self.filter(**{self.startup_lookup: startup_id})

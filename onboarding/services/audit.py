from django.db import models


def as_actor(instance: models.Model, actor) -> models.Model:
    """Make django-simple-history record `actor` as the author of the next save.

    Web requests get this from HistoryRequestMiddleware; services called from
    commands and tasks have no request, so they say who acted explicitly.
    """
    instance._history_user = actor
    return instance

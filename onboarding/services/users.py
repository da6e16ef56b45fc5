from __future__ import annotations

import json

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from ..models import User


@transaction.atomic
def user_set_preferences(*, actor: User, user: User, weekly_digest: bool) -> User:
    """Switch a user's weekly digest on or off; records the change in the admin log entry table."""
    before = user.weekly_digest
    user.weekly_digest = weekly_digest
    user.save(update_fields=["weekly_digest"])
    if before != weekly_digest:
        LogEntry.objects.create(
            user=actor,
            content_type=ContentType.objects.get_for_model(User),
            object_id=str(user.pk),
            object_repr=str(user)[:200],
            action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": ["weekly_digest"]}}]),
        )
    return user

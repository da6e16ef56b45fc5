"""Queue Celery tasks after the transaction commits, without letting a down broker break
the caller: a web request or a sweep must still succeed when Redis is away.

Work queued this way must be recoverable from the database (e.g. a Reminder row left
pending), because a failed publish is logged and dropped, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from django.db import transaction
from kombu.exceptions import KombuError, OperationalError

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot be reached: kombu wraps connection
# errors in OperationalError; a socket error may also escape from the transport.
BROKER_ERRORS = (OperationalError, KombuError, ConnectionError, OSError, TimeoutError)

# One quick retry: enough to replace a pooled connection that died with a restarted
# Redis, short enough that a down broker costs the caller well under a second.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def publish_many(task, arg_lists: Iterable[Sequence]) -> list[Sequence]:
    """Publish `task(*args)` for each args now; return those that reached the broker.

    Stops at the first broker error: the rest would fail the same way, each after its
    own connection timeout.
    """
    published = []
    for args in arg_lists:
        try:
            task.apply_async(args=tuple(args), retry=True, retry_policy=PUBLISH_RETRY)
        except BROKER_ERRORS as error:
            logger.warning("Broker unavailable, %s not queued (%s): %s", task.name, args, error)
            break
        published.append(args)
    return published


def queue_on_commit(
    task, arg_lists: Iterable[Sequence], *, on_queued: Callable[[list[Sequence]], None] | None = None
) -> None:
    """After commit, publish `task(*args)` for each args; `on_queued(published)` then runs
    with those that reached the broker. A down broker is logged, never raised."""
    arg_lists = [tuple(args) for args in arg_lists]
    if not arg_lists:
        return

    def publish() -> None:
        published = publish_many(task, arg_lists)
        if on_queued is not None and published:
            on_queued(published)

    transaction.on_commit(publish)

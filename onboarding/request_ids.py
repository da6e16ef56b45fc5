"""Request ids: one id per web request, on its response, in every log line written while it
runs, and carried in the headers of each task it queues, so the worker's lines for that task
carry it too (docs/operations.md#request-ids-and-logs).

The id lives in a context variable: each thread (and each asyncio task) has its own, so
concurrent requests in one process never see each other's.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token

from django.http import HttpRequest, HttpResponse

# What a client or the proxy in front may send as X-Request-ID: short and plain, so it can
# be written to a log line or a header as it is. Anything else is replaced by a new id.
WELL_FORMED = re.compile(r"[A-Za-z0-9-]{1,64}")
HEADER = "X-Request-ID"
# The task message header that carries the id from the process that queues a task to the
# worker that runs it.
TASK_HEADER = "request_id"

_current: ContextVar[str | None] = ContextVar("request_id", default=None)
# A task's id set by `id_from_task_headers`, put back by `id_after_task` (keyed by the task's id).
_task_tokens: dict[str, Token] = {}


def current_request_id() -> str | None:
    """The id of the request (or task) this code runs for, None outside both."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The incoming id if it is well formed, else a new one."""
    if header and WELL_FORMED.fullmatch(header):
        return header
    return new_request_id()


class RequestIdMiddleware:
    """Takes the request's X-Request-ID (or makes one), sets it for the logs while the request
    runs and returns it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response.headers[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or task), for the formatters.

    Django logs a 4xx or 5xx answer (logger django.request) after the middleware has returned,
    with the request on the record: its id is taken from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _current.get() or getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = request_id or "-"
        return True


# --- Into the tasks (Celery signals, connected in apps.py) ----------------------------------


def id_into_task_headers(sender=None, headers=None, **kwargs) -> None:
    """before_task_publish: the current id into the message's headers (none outside a request)."""
    request_id = _current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def id_from_task_headers(sender=None, task_id=None, task=None, **kwargs) -> None:
    """task_prerun: the id the task was queued with, else the one already current (a task run
    eagerly inside a request), else a new one for this run (a task from beat)."""
    request = task.request if task is not None else None
    carried = getattr(request, TASK_HEADER, None) or ((getattr(request, "headers", None) or {}).get(TASK_HEADER))
    request_id = carried if carried and WELL_FORMED.fullmatch(str(carried)) else None
    _task_tokens[task_id] = _current.set(request_id or _current.get() or new_request_id())


def id_after_task(sender=None, task_id=None, **kwargs) -> None:
    """task_postrun: put back the id from before the task (none, in a worker)."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context: nothing of ours to put back here
            _current.set(None)

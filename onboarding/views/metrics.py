"""The Prometheus page (`/metrics`): only for a scraper holding METRICS_TOKEN or calling from
METRICS_ALLOWED_NETWORKS; anyone else gets the 404 of a page that does not exist, so the page
does not advertise itself (docs/operations.md#metrics)."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from ..metrics import metrics_page
from .throttling import client_ip


def _token_matches(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    # Constant time: how much of a guess matched must not show in the time of the answer.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _from_allowed_network(request: HttpRequest) -> bool:
    """The client's address (behind TRUSTED_PROXY_COUNT proxies, as for sign-in lockouts) is
    in one of METRICS_ALLOWED_NETWORKS."""
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: requests, database, tasks, queues and the outbox, as text."""
    if not (_token_matches(request) or _from_allowed_network(request)):
        raise Http404
    body, content_type = metrics_page()
    return HttpResponse(body, content_type=content_type)

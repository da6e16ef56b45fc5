"""Pieces of pages that several views show, kept here so views never import each other:
the exporter's link panel (short link, QR code, WhatsApp message), the exporters' recent "No" answers, and which
claims of "Contacted" the exporter has not confirmed."""

from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from ..models import ConfirmationRequest, Exporter
from ..models.stages import StageEventStatus
from ..reports.exporter_link import whatsapp_share
from ..services.exporter_link import exporter_link_get


def link_panel(request, exporter: Exporter) -> dict:
    """The exporter's short link as text, as a QR code (SVG drawn here: no script, no request
    elsewhere) and as a WhatsApp message ready to send, for the exporter page of programme staff
    only: a startup holding the link could answer for the exporter, so the programme sends it
    to the exporter itself."""
    link = exporter_link_get(exporter=exporter)
    url = request.build_absolute_uri(reverse("onboarding:exporter-status-short", args=[link.short_code]))
    # The SVG holds only the code's squares as path data, made from our own URL.
    return {
        "url": url,
        "qr": mark_safe(qr_svg(url)),
        "whatsapp": whatsapp_share(exporter, url),
        "link": link,
        "days": settings.EXPORTER_LINK_DAYS,
    }


@lru_cache(maxsize=512)
def qr_svg(url: str) -> str:
    """The QR code of `url` as SVG. Drawing it took a third of the exporter page's time; a
    link changes only when rotated, so each worker keeps the codes it drew last."""
    return qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")


def exporter_flags(user) -> list[ConfirmationRequest]:
    """For a startup's home: the exporters' recent "No" answers that `user` may see. One query."""
    flagged = ConfirmationRequest.objects.visible_to(user).flagged().recent(timezone.now())
    return list(flagged.for_flags()[:20])


def exporter_verdicts(events) -> None:
    """On each claim of `events` (a review page), what its exporter said of the startup's work
    (`exporter_verdict`). One query, whatever the page holds."""
    events = list(events)
    if events:
        verdicts = ConfirmationRequest.objects.verdicts([(e.exporter_id, e.startup_id) for e in events])
        for event in events:
            event.exporter_verdict = verdicts.get((event.exporter_id, event.startup_id), "")


def mark_contact_unconfirmed(events) -> None:
    """On each of `events` (claims), `contact_unconfirmed`: a waiting "Contacted" claim that,
    with REQUIRE_CONFIRMED_CONTACT, the exporter has not confirmed yet, so its card asks for
    the officer's reason to approve without it. One query when the page holds such a claim."""
    events = list(events)
    for event in events:
        event.contact_unconfirmed = False
    if not settings.REQUIRE_CONFIRMED_CONTACT:
        return
    contacted = [e for e in events if e.status == StageEventStatus.SUBMITTED and e.stage.code == "contacted"]
    if not contacted:
        return
    confirmed = ConfirmationRequest.objects.contact_confirmed().filter(
        exporter_id__in={e.exporter_id for e in contacted}
    )
    pairs = set(confirmed.values_list("exporter_id", "startup_id"))
    for event in contacted:
        event.contact_unconfirmed = (event.exporter_id, event.startup_id) not in pairs

"""The exporter's status page by signed link (no account), and the link's panel for programme
staff on the exporter page: copy, QR code, send again, revoke. Startups never see the link.

`/e/<token>/` is the only URL that reads a token, `/s/<code>/` the only one that reads a short
code (the same link's alias). Both are public: anonymous visitors pass the two-factor
middleware and no login is asked; a bad, expired or revoked token or code gets the same plain
page, never data.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..filters import parse_id
from ..models import Exporter, ExporterLink
from ..models.contact_changes import ContactChangeStatus
from ..reports.exporter_link import CONTACT_TEXT, LANGUAGES, TEXT, language_of, status_page
from ..services.contact_changes import contact_change_answer
from ..services.exporter_link import (
    confirmation_answer,
    exporter_link_resend,
    exporter_link_rotate,
    exporter_opt_out,
    exporter_report_no_contact,
    link_use_record,
)
from ..services.throttling import exporter_link_allowed
from .access import STAFF, object_view, report_refusal
from .throttling import client_ip

LANG_COOKIE = "exporter_lang"


def _private(response):
    """The token is in the address: no referrer to other sites, no search engine, no cache.
    ("same-origin", not "no-referrer": with that, browsers post forms with `Origin: null`,
    which Django's CSRF check rightly refuses.)"""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def exporter_status(request, token: str):
    """GET: the exporter's page; POST: one of their taps (answer, flag, messages on/off)."""
    return _status(request, ExporterLink.objects.from_token(token), cookie_path="/e/")


@never_cache
def exporter_status_short(request, code: str):
    """The same page by the short link staff share (`/s/<code>/`): same throttle, same refusals;
    taps post back to the short address."""
    return _status(request, ExporterLink.objects.from_short_code(code), cookie_path="/s/")


def _status(request, link: ExporterLink | None, *, cookie_path: str):
    chosen = request.GET.get("lang")
    lang = language_of(chosen or request.COOKIES.get(LANG_COOKIE), link.exporter if link else None)
    if not exporter_link_allowed(link_id=link.pk if link else None, client_ip=client_ip(request)):
        context = {"t": TEXT[lang], "lang": lang, "helpline": settings.PROGRAMME_HELPLINE}
        return _private(render(request, "exporter_status/throttled.html", context, status=429))
    if link is None:
        context = {"t": TEXT[lang], "lang": lang, "helpline": settings.PROGRAMME_HELPLINE}
        return _private(render(request, "exporter_status/invalid.html", context, status=404))
    if request.method == "POST":
        return _private(_act(request, link, lang))
    link_use_record(link=link, address=client_ip(request) or "", action="opened the page")
    response = render(request, "exporter_status/status.html", status_page(link, lang=lang, now=timezone.now()))
    if chosen in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=int(timedelta(days=365).total_seconds()),
            path=cookie_path,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return _private(response)


def _act(request, link: ExporterLink, lang: str):
    t = TEXT[lang]
    action, post = request.POST.get("action", ""), request.POST
    source = {"address": client_ip(request) or "", "user_agent": request.headers.get("User-Agent", "")}
    if action == "contact_change":
        return _answer_contact_change(request, link, lang)
    try:
        if action == "answer":
            answer = post.get("answer", "")
            changed = confirmation_answer(
                link=link,
                confirmation_id=parse_id(post.get("question")),
                answer=answer,
                comment=post.get("comment", ""),
                **source,
            )
            text = t["saved"] if changed else t["unchanged"]
            action = f"answered {answer} (question {parse_id(post.get('question'))})"
        elif action == "no_contact":
            exporter_report_no_contact(link=link, comment=post.get("comment", ""), **source)
            text, action = t["flag_saved"], "said nobody has contacted them"
        elif action in ("opt_out", "opt_in"):
            exporter_opt_out(link=link, opt_out=action == "opt_out")
            text = t["messages_off"] if action == "opt_out" else t["messages_on"]
            action = "stopped messages" if action == "opt_out" else "asked for messages again"
        else:
            raise ValidationError("unknown", code="unknown")
    except ValidationError as refusal:
        code = getattr(refusal, "code", None) or "unknown"
        messages.error(request, t["errors"].get(code, t["errors"]["unknown"]))
        action = f"tap refused ({code})"
    else:
        messages.success(request, text)
    link_use_record(link=link, address=client_ip(request) or "", action=action)
    return redirect(request.path)


def _answer_contact_change(request, link: ExporterLink, lang: str):
    """The exporter's yes or no to the contact change a startup proposed."""
    ct, answer = CONTACT_TEXT[lang], request.POST.get("answer", "")
    change_id = parse_id(request.POST.get("change"))
    try:
        change = contact_change_answer(link=link, change_id=change_id, answer=answer)
    except ValidationError as refusal:
        code = getattr(refusal, "code", None) or "unknown"
        messages.error(request, ct["errors"].get(code, TEXT[lang]["errors"]["unknown"]))
        action = f"tap refused ({code})"
    else:
        messages.success(request, ct[CONTACT_ANSWERED[change.status]])
        action = f"answered {answer} to a contact change ({change_id})"
    link_use_record(link=link, address=client_ip(request) or "", action=action)
    return redirect(request.path)


CONTACT_ANSWERED = {
    ContactChangeStatus.CONFIRMED: "confirmed",
    ContactChangeStatus.REJECTED: "refused",
    ContactChangeStatus.SUPERSEDED: "superseded",
}


# --- The link's panel for programme staff ------------------------------------------------


@object_view(Exporter, *STAFF)
@require_POST
def exporter_link_resend_view(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user), pk=pk)
    try:
        exporter_link_resend(actor=request.user, exporter=exporter)
    except (ValidationError, PermissionDenied) as refusal:
        report_refusal(request, refusal)
    else:
        messages.success(request, _("The status link is on its way to %(email)s.") % {"email": exporter.contact_email})
    return redirect(exporter)


@object_view(Exporter, *STAFF)
@require_POST
def exporter_link_rotate_view(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user), pk=pk)
    exporter_link_rotate(actor=request.user, exporter=exporter)
    messages.success(request, _("Every link sent before no longer works. Share the new link below."))
    return redirect(exporter)

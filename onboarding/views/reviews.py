"""The review queue: filter, decide one claim in place, or decide every claim a filter shows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..control_characters import MESSAGE as CONTROL_MESSAGE
from ..control_characters import has_control_characters
from ..filters import ReviewFilter, parse_id, parse_ids
from ..forms.progress import ApproveForm
from ..models import Dispute, StageEvent
from ..models.stages import EVIDENCE_ATTRIBUTES, UNDO_WINDOW, StageEventStatus
from ..models.users import STAFF
from ..pagination import paginate
from ..reports.exports import REVIEWS
from ..reports.fraud_signals import attach_signals
from ..services.progress import (
    CONFLICT,
    stage_event_approve,
    stage_event_reject,
    stage_event_undo,
    stage_events_approve_bulk,
    stage_events_reject_bulk,
    stage_events_undo_bulk,
)
from .access import object_view, report_refusal, staff_required
from .downloads import list_export
from .navigation import safe_next
from .parts import exporter_verdicts, mark_contact_unconfirmed

PER_PAGE = 25
# reviews.js asks with this header: the answer is the decided (or refused) card, not a redirect.
CARD_REQUEST = "X-Review-Card"
# ...and with this one too when the card was the page's last open claim: the page is loaded again.
LAST_CARD = "X-Review-Last"
# A refused decision made without JavaScript: its error waits here for the card on the next page.
CARD_ERRORS = "review_card_errors"
# One bulk action decides at most this many claims; a wider filter is narrowed first.
BULK_LIMIT = 500
UNDO_MINUTES = int(UNDO_WINDOW.total_seconds() // 60)


def _note_needed() -> str:
    return _("Say why the evidence is rejected: the startup sees this note.")


def _undo_hint() -> str:
    return _("You can undo it for %(minutes)s minutes; the startup is told after that.") % {"minutes": UNDO_MINUTES}


def _prepare(event: StageEvent, now, note_error: str = "") -> StageEvent:
    """What a card shows beyond the row: the plain age, the stage's asks ticked off, a note error,
    the exporter's open dispute holding it, and whether its decision may still be undone."""
    Dispute.objects.attach_blocking([event])  # a page's claims have theirs already: no query
    event.waiting_days = max((now - event.submitted_at).days, 0)
    event.requirements = []
    for field in event.stage.required_evidence:
        value = getattr(event, EVIDENCE_ATTRIBUTES[field])
        event.requirements.append((field.label, value not in (None, "") and bool(value or value == 0)))
    # The same list the service refuses approval on (stage_event_approve), so the card never disagrees.
    event.missing = event.missing_evidence()
    event.requirements += [(kind.label, kind.label not in event.missing) for kind in event.stage.required_documents]
    event.checklist_documents = [document for document in event.documents.all() if document.kind]
    event.note_error = note_error
    event.undo_until = event.reviewed_at + UNDO_WINDOW if event.announcement_due and event.reviewed_at else None
    event.undoable = event.undo_until is not None and now < event.undo_until
    return event


@staff_required
def review_queue(request):
    """Waiting evidence, filtered and oldest first; a POST decides the ticked claims or every match."""
    if request.method == "POST":
        return _bulk(request)
    filterset = ReviewFilter(request.GET or None, queryset=StageEvent.objects.waiting().prefetch_related("documents"))
    if export := list_export(request, filterset.qs, REVIEWS, "reviews"):
        return export
    page = paginate(request, filterset.qs, per_page=PER_PAGE)
    errors = request.session.pop(CARD_ERRORS, {})
    now = timezone.now()
    Dispute.objects.attach_blocking(page.object_list)  # for the cards and the open-dispute signal
    events = [_prepare(e, now, errors.get(str(e.pk), "")) for e in page.object_list]
    exporter_verdicts(events)
    mark_contact_unconfirmed(events)
    attach_signals(events)
    context = {
        "filter": filterset,
        "page": page,
        "events": events,
        "here": request.get_full_path(),
        "open_disputes": Dispute.objects.open().count(),
        "undoable": list(StageEvent.objects.undoable_by(request.user, now)[:50]),
        "undo_minutes": UNDO_MINUTES,
    }
    if not filterset.narrows():  # the page counted every waiting claim: the navbar's badge needs no COUNT of its own
        context["nav_reviews_waiting"] = page.paginator.count
    return render(request, "onboarding/review_queue.html", context)


def _bulk(request):
    # A form sent without a button (Enter, or a script) rejects, which asks for a note: never approves.
    decision = "approve" if request.POST.get("decision") == "approve" else "reject"
    if request.POST.get("scope") == "matching":
        matching = ReviewFilter(request.GET or None, queryset=StageEvent.objects.waiting()).qs
        ids = list(matching.values_list("pk", flat=True)[: BULK_LIMIT + 1])
        if len(ids) != parse_id(request.POST.get("expected")):
            messages.warning(
                request, _("%(count)s claims match now: look at the queue again, then confirm.") % {"count": len(ids)}
            )
            return redirect(safe_next(request) or "onboarding:review-queue")
        if len(ids) > BULK_LIMIT:
            messages.warning(
                request, _("Narrow the filters: one action decides at most %(limit)s claims.") % {"limit": BULK_LIMIT}
            )
            return redirect(safe_next(request) or "onboarding:review-queue")
    else:
        ids = parse_ids(request.POST.getlist("event"))
    note = request.POST.get("note", "").strip()[:2000]
    if not ids:
        messages.warning(
            request,
            _("Tick the submissions to approve first.")
            if decision == "approve"
            else _("Tick the submissions to reject first."),
        )
    elif decision == "reject" and not note:
        messages.error(request, f"{_('Nothing was rejected.')} {_note_needed()}")
    elif has_control_characters(note):
        messages.error(request, f"{_('Nothing was decided.')} {CONTROL_MESSAGE}")
    else:
        try:
            if decision == "approve":
                count = stage_events_approve_bulk(actor=request.user, event_ids=ids, note=note)
            else:
                count = stage_events_reject_bulk(actor=request.user, event_ids=ids, note=note)
        except PermissionDenied as exc:
            report_refusal(request, exc)
        else:
            if decision == "approve":
                text = ngettext("Approved %(count)s submission.", "Approved %(count)s submissions.", count)
            else:
                text = ngettext("Rejected %(count)s submission.", "Rejected %(count)s submissions.", count)
            text %= {"count": count}
            if count:
                hint = ngettext(
                    "You can undo it for %(minutes)s minutes, above.",
                    "You can undo them for %(minutes)s minutes, above.",
                    count,
                )
                text = f"{text} {hint % {'minutes': UNDO_MINUTES}}"
            messages.success(request, text)
            if count < len(ids):
                left = len(ids) - count
                messages.warning(
                    request,
                    _("%(count)s could not be decided: decided or withdrawn meanwhile, disputed, or evidence missing.")
                    % {"count": left},
                )
    return redirect(safe_next(request) or "onboarding:review-queue")


@object_view(StageEvent, *STAFF)
@require_POST
def review_decide(request, pk: int, decision: str):
    """Approve or reject one claim, then back to the same filtered page (or, asked by
    reviews.js, the card alone, so the page stays where it is)."""
    event = get_object_or_404(StageEvent.objects.select_related("exporter", "stage", "startup", "submitted_by"), pk=pk)
    form = ApproveForm(request.POST)  # a rejection reads only its note
    valid = form.is_valid()
    note = form.cleaned_data["note"] if valid else ""
    reason = form.cleaned_data["unconfirmed_reason"] if valid else ""
    status, level, text, note_error = 200, messages.SUCCESS, "", ""
    try:
        if decision == "approve":
            approved = stage_event_approve(actor=request.user, event=event, note=note, unconfirmed_reason=reason)
            names = {"stage": event.stage, "exporter": event.exporter}
            if approved.unconfirmed_reason:
                text = _("Approved “%(stage)s” for %(exporter)s without the exporter's confirmation: %(reason)s.") % {
                    **names,
                    "reason": approved.unconfirmed_reason,
                }
            else:
                text = _("Approved “%(stage)s” for %(exporter)s.") % names
            text = f"{text} {_undo_hint()}"
        elif not note.strip():
            status, note_error = 400, _note_needed()
        else:
            stage_event_reject(actor=request.user, event=event, note=note)
            text = _("Rejected “%(stage)s” for %(exporter)s; the startup will see your note.") % {
                "stage": event.stage,
                "exporter": event.exporter,
            }
            text = f"{text} {_undo_hint()}"
    except ValidationError as exc:
        # Decided by someone else meanwhile: a warning (nothing lost), not an error.
        conflict = all(getattr(e, "code", None) == CONFLICT for e in exc.error_list)
        status, level = (409, messages.WARNING) if conflict else (400, messages.ERROR)
        text = " ".join(exc.messages)
    except PermissionDenied as exc:
        status, level, text = 403, messages.ERROR, str(exc) or _("You cannot do that.")
    if request.headers.get(CARD_REQUEST):
        if status == 200 and request.headers.get(LAST_CARD):
            messages.add_message(request, level, text)  # shown on the page reviews.js loads next
        return _card(request, event, status, level, text, note_error)
    if note_error:
        request.session[CARD_ERRORS] = {str(event.pk): note_error}
    else:
        messages.add_message(request, level, text)
    return redirect(safe_next(request) or "onboarding:review-queue")


@object_view(StageEvent, *STAFF)
@require_POST
def review_undo(request, pk: int):
    """Take back one's own decision on a claim (or, with no claim, every one ticked in the undo
    panel); like a decision, answered with the card when reviews.js asks."""
    event = get_object_or_404(StageEvent.objects.select_related("exporter", "stage", "startup", "submitted_by"), pk=pk)
    status, level = 200, messages.SUCCESS
    try:
        stage_event_undo(actor=request.user, event=event)
        text = _("Undone: “%(stage)s” for %(exporter)s waits for review again, and the startup was not told.") % {
            "stage": event.stage,
            "exporter": event.exporter,
        }
    except ValidationError as exc:
        status, level, text = 409, messages.WARNING, " ".join(exc.messages)
    except PermissionDenied as exc:
        status, level, text = 403, messages.ERROR, str(exc)
    if request.headers.get(CARD_REQUEST):
        return _card(request, event, status, level, text, "")
    messages.add_message(request, level, text)
    return redirect(safe_next(request) or "onboarding:review-queue")


@staff_required
@require_POST
def review_undo_bulk(request):
    ids = parse_ids(request.POST.getlist("event"))
    if not ids:
        messages.warning(request, _("Tick the decisions to undo first."))
        return redirect(safe_next(request) or "onboarding:review-queue")
    count = stage_events_undo_bulk(actor=request.user, event_ids=ids)
    messages.success(
        request,
        ngettext(
            "Undid %(count)s decision: they wait for review again.",
            "Undid %(count)s decisions: they wait for review again.",
            count,
        )
        % {"count": count},
    )
    if count < len(ids):
        messages.warning(
            request, _("%(count)s could not be undone: their time for undo had passed.") % {"count": len(ids) - count}
        )
    return redirect(safe_next(request) or "onboarding:review-queue")


def _card(request, event: StageEvent, status: int, level: int, text: str, note_error: str):
    event.refresh_from_db(fields=["status", "reviewed_at", "review_note", "announcement_due"])
    _prepare(event, timezone.now(), note_error)
    mark_contact_unconfirmed([event])
    if event.status == StageEventStatus.SUBMITTED:  # still to decide: the signals still matter
        attach_signals([event])
    tone = {messages.SUCCESS: "success", messages.WARNING: "warning"}.get(level, "danger")
    context = {"event": event, "here": safe_next(request), "outcome": text, "tone": tone}
    response = render(request, "onboarding/_review_card.html", context, status=status)
    response[CARD_REQUEST] = "1"  # reviews.js swaps in only an answer that says it is a card
    return response

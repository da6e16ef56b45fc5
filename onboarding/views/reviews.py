"""The review queue: filter, decide one claim in place, or decide every claim a filter shows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..filters import ReviewFilter, parse_id, parse_ids
from ..forms.progress import ReviewForm
from ..models import StageEvent
from ..models.stages import EVIDENCE_ATTRIBUTES, StageEventStatus
from ..models.users import STAFF
from ..pagination import paginate
from ..reports.exports import REVIEWS
from ..reports.fraud_signals import attach_signals
from ..services.progress import (
    CONFLICT,
    stage_event_approve,
    stage_event_reject,
    stage_events_approve_bulk,
    stage_events_reject_bulk,
)
from .access import object_view, report_refusal, staff_required
from .downloads import list_export
from .navigation import safe_next
from .parts import exporter_flags

PER_PAGE = 25
# reviews.js asks with this header: the answer is the decided (or refused) card, not a redirect.
CARD_REQUEST = "X-Review-Card"
# ...and with this one too when the card was the page's last open claim: the page is loaded again.
LAST_CARD = "X-Review-Last"
# A refused decision made without JavaScript: its error waits here for the card on the next page.
CARD_ERRORS = "review_card_errors"
# One bulk action decides at most this many claims; a wider filter is narrowed first.
BULK_LIMIT = 500
NOTE_NEEDED = "Say why the evidence is rejected: the startup sees this note."


def _prepare(event: StageEvent, now, note_error: str = "") -> StageEvent:
    """What a card shows beyond the row: the plain age, the stage's asks ticked off, a note error."""
    event.waiting_days = max((now - event.submitted_at).days, 0)
    event.requirements = []
    for field in event.stage.required_evidence:
        value = getattr(event, EVIDENCE_ATTRIBUTES[field])
        event.requirements.append((field.label, value not in (None, "") and bool(value or value == 0)))
    event.note_error = note_error
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
    events = attach_signals([_prepare(e, now, errors.get(str(e.pk), "")) for e in page.object_list])
    context = {
        "filter": filterset,
        "page": page,
        "events": events,
        "here": request.get_full_path(),
        "flags": exporter_flags(request.user, events),
    }
    return render(request, "onboarding/review_queue.html", context)


def _bulk(request):
    decision = "reject" if request.POST.get("decision") == "reject" else "approve"
    if request.POST.get("scope") == "matching":
        matching = ReviewFilter(request.GET or None, queryset=StageEvent.objects.waiting()).qs
        ids = list(matching.values_list("pk", flat=True)[: BULK_LIMIT + 1])
        if len(ids) != parse_id(request.POST.get("expected")):
            messages.warning(request, f"{len(ids)} claims match now: look at the queue again, then confirm.")
            return redirect(safe_next(request) or "onboarding:review-queue")
        if len(ids) > BULK_LIMIT:
            messages.warning(request, f"Narrow the filters: one action decides at most {BULK_LIMIT} claims.")
            return redirect(safe_next(request) or "onboarding:review-queue")
    else:
        ids = parse_ids(request.POST.getlist("event"))
    note = request.POST.get("note", "").strip()[:2000]
    if not ids:
        messages.warning(request, f"Tick the submissions to {decision} first.")
    elif decision == "reject" and not note:
        messages.error(request, f"Nothing was rejected. {NOTE_NEEDED}")
    else:
        try:
            if decision == "approve":
                count = stage_events_approve_bulk(actor=request.user, event_ids=ids, note=note)
            else:
                count = stage_events_reject_bulk(actor=request.user, event_ids=ids, note=note)
        except PermissionDenied as exc:
            report_refusal(request, exc)
        else:
            verb = "Approved" if decision == "approve" else "Rejected"
            messages.success(request, f"{verb} {count} submission{'s' if count != 1 else ''}.")
            if count < len(ids):
                left = len(ids) - count
                messages.warning(request, f"{left} could not be decided: decided or withdrawn meanwhile.")
    return redirect(safe_next(request) or "onboarding:review-queue")


@object_view(StageEvent, *STAFF)
@require_POST
def review_decide(request, pk: int, decision: str):
    """Approve or reject one claim, then back to the same filtered page (or, asked by
    reviews.js, the card alone, so the page stays where it is)."""
    event = get_object_or_404(StageEvent.objects.select_related("exporter", "stage", "startup", "submitted_by"), pk=pk)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    status, level, text, note_error = 200, messages.SUCCESS, "", ""
    try:
        if decision == "approve":
            stage_event_approve(actor=request.user, event=event, note=note)
            text = f"Approved “{event.stage}” for {event.exporter}."
        elif not note.strip():
            status, note_error = 400, NOTE_NEEDED
        else:
            stage_event_reject(actor=request.user, event=event, note=note)
            text = f"Rejected “{event.stage}” for {event.exporter}; the startup will see your note."
    except ValidationError as exc:
        # Decided by someone else meanwhile: a warning (nothing lost), not an error.
        conflict = all(getattr(e, "code", None) == CONFLICT for e in exc.error_list)
        status, level = (409, messages.WARNING) if conflict else (400, messages.ERROR)
        text = " ".join(exc.messages)
    except PermissionDenied as exc:
        status, level, text = 403, messages.ERROR, str(exc) or "You cannot do that."
    if request.headers.get(CARD_REQUEST):
        if status == 200 and request.headers.get(LAST_CARD):
            messages.add_message(request, level, text)  # shown on the page reviews.js loads next
        return _card(request, event, status, level, text, note_error)
    if note_error:
        request.session[CARD_ERRORS] = {str(event.pk): note_error}
    else:
        messages.add_message(request, level, text)
    return redirect(safe_next(request) or "onboarding:review-queue")


def _card(request, event: StageEvent, status: int, level: int, text: str, note_error: str):
    event.refresh_from_db(fields=["status", "reviewed_at", "review_note"])
    _prepare(event, timezone.now(), note_error)
    if event.status == StageEventStatus.SUBMITTED:  # still to decide: the signals still matter
        attach_signals([event])
    tone = {messages.SUCCESS: "success", messages.WARNING: "warning"}.get(level, "danger")
    context = {"event": event, "here": safe_next(request), "outcome": text, "tone": tone}
    response = render(request, "onboarding/_review_card.html", context, status=status)
    response[CARD_REQUEST] = "1"  # reviews.js swaps in only an answer that says it is a card
    return response

"""The work log, milestone evidence and the pipeline board (the review queue is in reviews.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..filters import ActivityFilter, BoardFilter
from ..forms.progress import ActivityForm, SetStageForm, StageEvidenceForm
from ..models import Activity, Exporter, Stage, StageEvent, Startup, User
from ..models.users import Role
from ..pagination import ACTIVITY_SORTS, paginate, sort
from ..reports.dashboard import active_by_stage
from ..reports.exports import ACTIVITIES
from ..services.progress import (
    activity_log,
    exporter_set_stage,
    stage_event_submit,
)
from ..services.summary import summary_current
from .access import member_required, object_view, report_refusal
from .downloads import list_export

BOARD_CARDS_PER_STAGE = 12
# What a work log entry shows (activity_rows.py): kind, outcome, exporter, startup, when, note,
# who, minutes and file. Whole rows of the entry, its exporter, startup and person (78 columns)
# took longer to read than the query: 6.7 -> 3.7 ms for a page of fifty.
ACTIVITY_ROW_FIELDS = (
    *("kind", "outcome", "occurred_at", "note", "duration_minutes", "attachment", "attachment_name"),
    *Exporter.shown_as("exporter"),
    *Startup.shown_as("startup"),
    *User.shown_as("user"),
)
# What a card shows: a whole exporter, startup and stage per card was a third of the board's time.
BOARD_CARD_FIELDS = ("legal_name", "trade_name", "status", "current_stage", "stage_entered_at", "last_activity_at")


@member_required
def activity_list(request):
    """Everyone's work log (staff) or the startup's own, with a quick "log work" form for startups."""
    queryset = Activity.objects.visible_to(request.user).for_list()
    filterset = ActivityFilter(request.GET, queryset=queryset, user=request.user)
    activities, sorting = sort(request, filterset.qs, ACTIVITY_SORTS)
    if request.method == "GET" and (export := list_export(request, activities, ACTIVITIES, "work-log")):
        return export
    form = None
    if not request.user.is_programme_staff:
        exporters = Exporter.objects.visible_to(request.user)
        lookup = reverse("onboarding:exporter-lookup")
        form = ActivityForm(request.POST or None, request.FILES or None, exporter_choices=exporters, lookup_url=lookup)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            return _log(request, data.pop("exporter"), data, redirect_to="onboarding:activity-list")
    page = paginate(request, activities.only(*ACTIVITY_ROW_FIELDS), estimate=True)
    return render(
        request,
        "onboarding/activity_list.html",
        {"filter": filterset, "page": page, "form": form, "sorting": sorting},
    )


@member_required
def exporter_log_work(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).for_list(), pk=pk)
    form = ActivityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return _log(request, exporter, dict(form.cleaned_data), redirect_to=exporter)
    return render(request, "onboarding/activity_form.html", {"form": form, "exporter": exporter})


def _log(request, exporter, data: dict, *, redirect_to):
    stage_before = exporter.current_stage_id
    try:
        activity = activity_log(actor=request.user, exporter=exporter, **data)
    except ValidationError as exc:
        report_refusal(request, exc)
        return redirect(exporter)
    messages.success(
        request,
        _("Logged: %(kind)s with %(exporter)s.") % {"kind": activity.get_kind_display().lower(), "exporter": exporter},
    )
    if activity.exporter.current_stage_id != stage_before:
        messages.info(
            request,
            _("%(exporter)s is now at “%(stage)s”.") % {"exporter": exporter, "stage": activity.exporter.current_stage},
        )
    return redirect(redirect_to)


@member_required
def exporter_submit_stage(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).for_list(), pk=pk)
    stage = exporter.next_stage(list(Stage.objects.ordered()))
    if stage is None:
        messages.info(request, _("%(exporter)s has reached the last stage.") % {"exporter": exporter})
        return redirect(exporter)
    previous = StageEvent.objects.visible_to(request.user).last_rejected(exporter=exporter, stage=stage)
    form = StageEvidenceForm(request.POST or None, request.FILES or None, stage=stage, previous=previous)
    if request.method == "POST" and form.is_valid():
        try:
            event = stage_event_submit(
                actor=request.user,
                exporter=exporter,
                stage=stage,
                evidence=form.evidence(),
                documents=form.more_documents(),
                checklist=form.checklist(),
                reuse_from=form.reuse_from(),
            )
        except ValidationError as exc:
            report_refusal(request, exc, form)
        else:
            if event.status == "approved":
                messages.success(
                    request, _("%(exporter)s is now at “%(stage)s”.") % {"exporter": exporter, "stage": stage}
                )
            else:
                messages.success(request, _("Evidence for “%(stage)s” is sent for review.") % {"stage": stage})
            return redirect(exporter)
    context = {"form": form, "exporter": exporter, "stage": stage, "previous": previous}
    return render(request, "onboarding/stageevent_form.html", context)


@object_view(Exporter, Role.ADMIN)
@require_POST
def exporter_set_stage_view(request, pk: int):
    exporter = get_object_or_404(Exporter, pk=pk)
    form = SetStageForm(request.POST)
    if form.is_valid():
        try:
            exporter_set_stage(actor=request.user, exporter=exporter, **form.cleaned_data)
        except ValidationError as exc:
            report_refusal(request, exc)
        else:
            messages.success(
                request,
                _("%(exporter)s moved to “%(stage)s”.") % {"exporter": exporter, "stage": form.cleaned_data["stage"]},
            )
    else:
        messages.error(request, _("Choose a stage and give a reason."))
    return redirect(exporter)


@member_required
def board(request):
    """Columns per stage with their counts (how many, how many stalled); each card links to an
    exporter, most urgent first. Filters: startup (staff), agent, the exporter's state."""
    stages = list(Stage.objects.ordered())
    user, now = request.user, timezone.now()
    active = Exporter.objects.visible_to(user).filter(status="active", current_stage__isnull=False)
    filterset = BoardFilter(request.GET or None, queryset=active, user=user)
    exporters = filterset.qs
    staff = user.is_programme_staff
    as_of = None
    if staff and not filterset.narrowed():
        # The whole programme: counted from the summary, constant work at a million exporters.
        summary = summary_current()
        counts, stalled, as_of = (
            active_by_stage(summary.counts),
            active_by_stage(summary.counts, what="stalled"),
            summary.as_of,
        )
    else:  # one grouped query: how many per stage, and how many of them stalled
        rows = (
            exporters.order_by()
            .values_list("current_stage")
            .annotate(n=Count("*"), stalled=Count("pk", filter=Exporter.objects.stalled_q(now, stages)))
        )
        counts = {stage_id: n for stage_id, n, _ in rows}
        stalled = {stage_id: late for stage_id, _, late in rows}
    shown = [s for s in stages if counts.get(s.pk)]
    cards = exporters.board_cards(shown, BOARD_CARDS_PER_STAGE, BOARD_CARD_FIELDS, with_startup=staff)
    columns = [
        {
            "stage": s,
            "count": counts.get(s.pk, 0),
            "stalled": stalled.get(s.pk, 0),
            "cards": cards.get(s.pk, []),
            "more": _board_list_link(request, s, staff),
        }
        for s in stages
    ]
    context = {
        "columns": columns,
        "filter": filterset,
        "startup": filterset.chosen_startup(),
        "total": sum(counts.values()),
        "as_of": as_of,
    }
    return render(request, "onboarding/board.html", context)


def _board_list_link(request, stage: Stage, staff: bool) -> str:
    """The exporter list showing a whole column: its stage, active, and the board's filters
    (a startup user's whole startup unless an agent is chosen), so the counts agree."""
    params = request.GET.copy()
    params.pop("page", None)
    params["stage"], params["status"] = str(stage.pk), "active"
    if not staff:
        params["mine"] = "false"
    return f"{reverse('onboarding:exporter-list')}?{params.urlencode()}"

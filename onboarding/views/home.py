import itertools
from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from ..models import ConfirmationRequest, Dispute, Exporter, OutboxMessage, Stage, StageEvent
from ..models.stages import StageEventStatus
from ..pagination import paginate
from ..reports.dashboard import dashboard_figures
from ..services.summary import summary_current
from .access import member_required
from .parts import exporter_flags
from .scope import exporters_mine, scope_param


@member_required
def home(request):
    """Staff land on the programme dashboard; startup users on what needs attention today."""
    if request.user.is_programme_staff:
        now = timezone.now()
        summary = summary_current()
        figures = dashboard_figures(summary.counts, summary.as_of)
        figures["confirmation_rates"] = ConfirmationRequest.objects.rate_table(now)
        figures["undelivered"] = OutboxMessage.objects.undelivered_since(now - UNDELIVERED_SHOWN)
        figures["open_disputes"] = Dispute.objects.open().count()
        # The card gives the exact figure the navbar's badge rounds (one COUNT for both).
        figures["nav_reviews_waiting"] = StageEvent.objects.waiting().count()
        return render(request, "onboarding/dashboard.html", figures)
    return startup_home(request)


# How far back the dashboard counts emails that were not delivered.
UNDELIVERED_SHOWN = timedelta(days=7)
# How long a startup is told that a claim of theirs was withdrawn.
WITHDRAWN_SHOWN = timedelta(days=30)
# The most urgent first, a phone screen or two at a time; the exporter list pages through all.
HOME_PAGE_SIZE = 25
# What a row of the home's list shows (name, place, stage badge, last work): a whole exporter
# with its startup and sector per row cost more than the query.
HOME_ROW_FIELDS = (
    *("legal_name", "trade_name", "district", "state", "status"),
    *("current_stage", "stage_entered_at", "last_activity_at"),
    *("current_stage__name", "current_stage__order", "current_stage__sla_days"),
)

# What a notice of a rejected or withdrawn claim shows.
NOTICE_FIELDS = (
    *("startup", "status", "submitted_at", "reviewed_by", "reviewed_at", "review_note"),
    *Exporter.shown_as("exporter"),
    *Stage.shown_as("stage"),
)


def startup_home(request):
    """Counts, unanswered rejections, then every exporter, stalled first and longest in stage next."""
    now = timezone.now()
    stages = list(Stage.objects.ordered())
    following = {a.pk: b for a, b in itertools.pairwise(stages)}
    # The counts cover the scope the list shows (scope.py), so each count equals its list's.
    mine = exporters_mine(request)
    exporters = Exporter.objects.visible_to(request.user)
    if mine:
        exporters = exporters.filter(agent=request.user)
    counts = exporters.sla_counts(now, stages)
    events = StageEvent.objects.visible_to(request.user)
    waiting = events.filter(status=StageEventStatus.SUBMITTED)
    counts["waiting"] = (waiting.filter(exporter__agent=request.user) if mine else waiting).count()
    events = events.only(*NOTICE_FIELDS)
    rejected = events.rejected_open_newest(limit=20, stages=stages)
    counts["rejected"] = len(rejected)
    withdrawn = list(events.withdrawn_since(now - WITHDRAWN_SHOWN)[:20])
    rows = exporters.select_related("current_stage").only(*HOME_ROW_FIELDS)
    page = paginate(request, rows.by_urgency(now, stages), HOME_PAGE_SIZE)
    for exporter in page.object_list:
        exporter.upcoming = following.get(exporter.current_stage_id) if exporter.current_stage_id else stages[0]
    return render(
        request,
        "onboarding/startup_home.html",
        {
            "startup": request.user.startup,
            "page": page,
            "counts": counts,
            "rejected": rejected,
            "withdrawn": withdrawn,
            "mine": mine,
            "scope": scope_param(mine),
            "flags": exporter_flags(request.user),
        },
    )

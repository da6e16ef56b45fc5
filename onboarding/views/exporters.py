from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..control_characters import MESSAGE as CONTROL_MESSAGE
from ..control_characters import has_control_characters
from ..filters import ExporterFilter
from ..forms.exporters import ExporterContactForm, ExporterForm
from ..forms.progress import SetStageForm, exporter_label
from ..models import ContactChange, Exporter, Stage, Startup
from ..models.contact_changes import ContactChangeStatus
from ..models.stages import StageEventStatus
from ..pagination import EXPORTER_SORTS, paginate, sort
from ..reports.exports import EXPORTERS
from ..reports.timeline import exporter_rows, exporter_timeline, with_sources
from ..services.contact_changes import contact_change_approve, contact_change_propose, contact_change_reject
from ..services.exporters import exporter_contact_correct, exporter_create, exporter_update
from .access import STAFF, member_required, object_view, report_refusal, staff_required
from .downloads import list_export
from .parts import link_panel
from .scope import exporters_mine, scope_param

# What a row of the list shows, for staff and for startups: whole exporters with their stage,
# startup, sector and agent per row cost more than the page's query.
LIST_ROW_FIELDS = (
    *("legal_name", "trade_name", "gstin", "district", "state", "status", "current_stage", "startup", "sector"),
    *("agent", "stage_entered_at", "last_activity_at", "current_stage__name", "current_stage__order"),
    *("current_stage__sla_days", *Startup.shown_as("startup"), "sector__name"),
)
# A search is counted up to this many matches ("over 1,000"); beyond it, unless a column is
# sorted, the newest matches come first, read off the (created_at, id) index: putting tens of
# thousands of matches in name order cost more than the rest of the page at a million exporters.
SEARCH_EXACT_UP_TO = 1_000
SEARCH_ORDER_IF_MANY = ("-created_at", "-pk")
# The newest entries of an exporter's timeline on its page; `?timeline=all` shows every entry
# kept: a long-worked exporter's hundreds of entries were most of the page's time.
TIMELINE_SHOWN = 30
# The type-ahead's answer: enough to choose from on a phone, never a whole startup.
LOOKUP_LIMIT = 20


@member_required
def exporter_list(request):
    """Staff: every exporter; a startup user: their startup's, most urgent first (agents: their own)."""
    user = request.user
    exporters = Exporter.objects.visible_to(user).for_list()
    data = request.GET.copy()
    if not user.is_programme_staff:
        exporters = exporters.select_related("agent").by_urgency(timezone.now(), Stage.objects.ordered())
        data["mine"] = scope_param(exporters_mine(request))  # the scope the home page counted in
    filterset = ExporterFilter(data, queryset=exporters, user=user)
    exporters, sorting = sort(request, filterset.qs, EXPORTER_SORTS)
    if export := list_export(request, exporters, EXPORTERS, "exporters"):
        return export
    rows = exporters.only(*LIST_ROW_FIELDS)
    if not user.is_programme_staff:
        rows = rows.only(*LIST_ROW_FIELDS, "agent__first_name", "agent__last_name", "agent__email")
    many = {}
    if request.GET.get("q", "").strip() and not sorting.key:
        many = {"exact_up_to": SEARCH_EXACT_UP_TO, "order_if_capped": SEARCH_ORDER_IF_MANY}
    page = paginate(request, rows, estimate=True, **many)
    mine = bool(getattr(filterset.form, "cleaned_data", {}).get("mine"))
    context = {"filter": filterset, "page": page, "mine": mine, "sorting": sorting}
    return render(request, "onboarding/exporter_list.html", context)


@member_required
def exporter_lookup(request):
    """The type-ahead: up to LOOKUP_LIMIT visible exporters matching `q` (the list's search)."""
    term = request.GET.get("q", "").strip()[:100]
    if has_control_characters(term):
        return JsonResponse({"results": [], "error": CONTROL_MESSAGE}, status=400)
    if len(term) < 2:
        return JsonResponse({"results": []})
    rows = Exporter.objects.visible_to(request.user).search(term).only("pk", "legal_name", "trade_name", "gstin")
    results = [{"id": e.pk, "label": exporter_label(e)} for e in rows[:LOOKUP_LIMIT]]
    return JsonResponse({"results": results})


@staff_required
def exporter_create_view(request):
    form = ExporterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        exporter = exporter_create(actor=request.user, data=dict(form.cleaned_data))
        messages.success(request, _("%(exporter)s is registered.") % {"exporter": exporter})
        return redirect(exporter)
    return render(request, "onboarding/exporter_form.html", {"form": form, "creating": True})


@object_view(Exporter, *STAFF)  # other startups' exporters: 404, not 403
def exporter_update_view(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user), pk=pk)
    form = ExporterForm(request.POST or None, instance=exporter)
    if request.method == "POST" and form.is_valid():
        exporter_update(actor=request.user, exporter=exporter, data=dict(form.cleaned_data))
        messages.success(request, _("%(exporter)s is updated.") % {"exporter": exporter})
        return redirect(exporter)
    return render(request, "onboarding/exporter_form.html", {"form": form, "exporter": exporter})


@member_required
def exporter_detail(request, pk: int):
    exporter = get_object_or_404(with_sources(Exporter.objects.visible_to(request.user).for_list()), pk=pk)
    stages = list(Stage.objects.ordered())
    reached = exporter.stage_events.reached_on()
    assignments, changes = exporter_rows(exporter, request.user)  # for the panels and the timeline
    context = {
        "exporter": exporter,
        "stages": stages,
        "next_stage": exporter.next_stage(stages),
        "can_work": exporter.startup_id is not None,
        "waiting": exporter.stage_events.filter(status=StageEventStatus.SUBMITTED, startup_id=exporter.startup_id)
        .select_related("stage")
        .first(),
        "steps": [(stage, reached.get(stage.pk)) for stage in stages],
        "set_stage_form": SetStageForm(stages=stages) if request.user.is_programme_admin else None,
        # The link opens the exporter's own channel: startups never see it (the programme sends it).
        "status_link": link_panel(request, exporter) if request.user.is_programme_staff else None,
        "assignments": assignments,
        "contact_change": next((c for c in changes if c.status == ContactChangeStatus.PENDING), None),
    }
    timeline = exporter_timeline(exporter, request.user, assignments=assignments, contact_changes=changes)
    whole = request.GET.get("timeline") == "all"
    context["timeline"] = timeline if whole else timeline[:TIMELINE_SHOWN]
    context["timeline_earlier"] = len(timeline) - len(context["timeline"])
    return render(request, "onboarding/exporter_detail.html", context)


@member_required
def exporter_contact_view(request, pk: int):
    """Staff correct the exporter's contact at once; the startup holding it proposes a change,
    which waits for the exporter or staff. Another startup's exporter is a 404."""
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).filter(startup__isnull=False), pk=pk)
    initial = {f: getattr(exporter, f) for f in ("contact_name", "contact_mobile", "contact_email")}
    form = ExporterContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if request.user.is_programme_staff:
            exporter_contact_correct(actor=request.user, exporter=exporter, **form.cleaned_data)
            messages.success(
                request, _("Contact of %(exporter)s saved; the change is on its timeline.") % {"exporter": exporter}
            )
        elif contact_change_propose(actor=request.user, exporter=exporter, **form.cleaned_data):
            messages.success(
                request,
                _(
                    "Change proposed. It takes effect when %(exporter)s confirms it from their current contact, "
                    "or programme staff approve it; until then messages still go to the current contact."
                )
                % {"exporter": exporter},
            )
        else:
            messages.info(
                request,
                _("These are %(exporter)s's contact details already: nothing to change.") % {"exporter": exporter},
            )
        return redirect(exporter)
    context = {"form": form, "exporter": exporter, "proposing": not request.user.is_programme_staff}
    return render(request, "onboarding/exporter_contact_form.html", context)


@require_POST
@object_view(ContactChange, *STAFF)
def contact_change_decide_view(request, pk: int, decision: str):
    """Staff approve or refuse a contact change a startup proposed."""
    change = get_object_or_404(ContactChange.objects.select_related("exporter"), pk=pk)
    decide = {"approve": contact_change_approve, "refuse": contact_change_reject}[decision]
    try:
        change = decide(actor=request.user, change=change)
    except ValidationError as refusal:
        report_refusal(request, refusal)
    else:
        messages.success(request, str(DECIDED[change.status]) % {"exporter": change.exporter})
    return redirect(change.exporter)


DECIDED = {
    ContactChangeStatus.APPROVED: gettext_lazy(
        "The new contact of %(exporter)s is saved; its next message goes there."
    ),
    ContactChangeStatus.REJECTED: gettext_lazy("The change is refused: %(exporter)s keeps its contact."),
    ContactChangeStatus.SUPERSEDED: gettext_lazy(
        "The contact of %(exporter)s changed since this was proposed: nothing was applied."
    ),
}

"""Assignment pages: auto-assignment, manual and bulk assignment, decline, hand to an agent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..filters import parse_id, parse_ids
from ..forms.assignments import AssignForm, BulkAssignForm, HandToAgentForm, ReasonForm
from ..models import Exporter, Role
from ..services.assignments import (
    assignment_decline,
    exporter_assign,
    exporter_hand_to_agent,
    exporter_reassign,
    exporter_unassign,
    exporters_assign_bulk,
)
from ..services.auto_assign import (
    UNDO_WINDOW,
    auto_assign_undo,
    auto_assignment_apply,
    batch_assignments,
    propose,
    rank_for,
)
from .access import STAFF, object_view, report_refusal, staff_required

PREVIEW_ROWS = 500


def _shown(request, plan) -> tuple[list, dict]:
    """The proposals the filters keep (`?startup=<id>`, `?state=<code>`; junk ignored), and the filters."""
    startup_id, state = parse_id(request.GET.get("startup")), request.GET.get("state", "")
    proposals = plan.proposals
    if startup_id:
        proposals = [p for p in proposals if p.startup.pk == startup_id]
    if state:
        proposals = [p for p in proposals if p.exporter.state == state]
    states = sorted({(p.exporter.state, p.exporter.state_name) for p in plan.proposals}, key=lambda s: s[1])
    return proposals, {"startup": startup_id, "state": state, "states": states}


def _chosen(request, plan):
    """The ticked exporters (`exporter`) and the startup chosen in each row (`startup-<exporter id>`)."""
    ids = set(parse_ids(request.POST.getlist("exporter")))
    startups = {pk: parse_id(request.POST.get(f"startup-{pk}")) for pk in ids}
    return plan.only(ids, {pk: sid for pk, sid in startups.items() if sid})


@staff_required
def auto_assign_view(request):
    """Preview the engine's proposals with reasons. POST: the ticked ones (each to the startup
    chosen in its row) go to a confirmation with the count; confirmed, they are applied if the
    plan is still what was shown, and the page of what changed (with its undo) follows."""
    plan = propose()
    if request.method == "POST":
        chosen = _chosen(request, plan)
        if request.POST.get("fingerprint") != plan.fingerprint:
            messages.warning(
                request,
                _(
                    "The pool or the startups changed since your preview. "
                    "Check the new proposals below and apply again."
                ),
            )
        elif not chosen.proposals:
            messages.info(request, _("Tick the proposals to apply first."))
        elif request.POST.get("confirm") != "yes":
            back = request.POST.get("back", "")
            context = {"plan": chosen, "by_startup": chosen.by_startup(), "fingerprint": plan.fingerprint}
            context["back"] = back if back.startswith("?") else ""
            return render(request, "onboarding/assignment_auto_confirm.html", context)
        else:
            result = auto_assignment_apply(actor=request.user, plan=chosen)
            text = _("Assigned %(count)s exporters.") % {"count": result.assigned}
            if result.skipped:
                text += " " + _("%(count)s were skipped because the data changed meanwhile; run it again.") % {
                    "count": len(result.skipped)
                }
            messages.success(request, text)
            if result.batch:
                return redirect("onboarding:assignment-auto-batch", batch=result.batch)
            return redirect(request.get_full_path())
    proposals, filters = _shown(request, plan)
    return render(
        request,
        "onboarding/assignment_auto.html",
        {
            "plan": plan,
            "filters": filters,
            "shown_count": len(proposals),
            "proposals": proposals[:PREVIEW_ROWS],
            "unmatched": plan.unmatched[:PREVIEW_ROWS],
            "by_startup": plan.by_startup(),
            "shown_by_startup": plan.by_startup_of(proposals[:PREVIEW_ROWS]),
            "preview_rows": PREVIEW_ROWS,
        },
    )


@staff_required
def auto_assign_batch_view(request, batch: str):
    """What one apply changed: its exporters and their startups, and the undo while it lasts."""
    assignments = list(
        batch_assignments(batch)
        .select_related("exporter", "startup", "assigned_by")
        .order_by("startup__brand_name", "exporter__legal_name")
    )
    if not assignments:
        raise Http404("There is no such auto-assignment.")
    applied = assignments[0].assigned_at
    undo_until = applied + UNDO_WINDOW
    context = {
        "assignments": assignments,
        "applied": applied,
        "batch": batch,
        "undo_until": undo_until if timezone.now() < undo_until else None,
        "startups": sorted({a.startup for a in assignments}, key=str),
    }
    return render(request, "onboarding/assignment_auto_batch.html", context)


@staff_required
@require_POST
def auto_assign_undo_view(request, batch: str):
    try:
        count = auto_assign_undo(actor=request.user, batch=batch)
    except ValidationError as refusal:
        report_refusal(request, refusal)
        if batch_assignments(batch).exists():
            return redirect("onboarding:assignment-auto-batch", batch=batch)
        return redirect("onboarding:assignment-auto")
    messages.success(
        request, _("Undone: %(count)s exporters are back in the pool, as they were before.") % {"count": count}
    )
    return redirect("onboarding:assignment-auto")


@object_view(Exporter, *STAFF)
def exporter_assign_view(request, pk: int):
    """Assign a pool exporter, or reassign one with a reason; suggests the best matches."""
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).for_list(), pk=pk)
    form = AssignForm(request.POST or None, exporter=exporter)
    if request.method == "POST" and form.is_valid():
        startup, reason = form.cleaned_data["startup"], form.cleaned_data["reason"]
        try:
            if form.reassigning:
                exporter_reassign(actor=request.user, exporter=exporter, startup=startup, reason=reason)
            else:
                exporter_assign(actor=request.user, exporter=exporter, startup=startup, why=reason)
        except ValidationError as exc:
            report_refusal(request, exc, form)
        else:
            messages.success(
                request, _("%(exporter)s is now with %(startup)s.") % {"exporter": exporter, "startup": startup}
            )
            return redirect(exporter)
    return render(
        request,
        "onboarding/exporter_assign_form.html",
        {"exporter": exporter, "form": form, "suggestions": rank_for(exporter)},
    )


def _reason_page(request, exporter, form, *, title: str, button: str, intro: str):
    return render(
        request,
        "onboarding/assignment_reason_form.html",
        {"exporter": exporter, "form": form, "title": title, "button": button, "intro": intro},
    )


@object_view(Exporter, *STAFF)
def exporter_unassign_view(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).for_list(), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exporter_unassign(actor=request.user, exporter=exporter, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            report_refusal(request, exc, form)
        else:
            messages.success(request, _("%(exporter)s is back in the pool.") % {"exporter": exporter})
            return redirect(exporter)
    return _reason_page(
        request,
        exporter,
        form,
        title=_("Return %(exporter)s to the pool") % {"exporter": exporter},
        button=_("Return to the pool"),
        intro=(
            _("%(startup)s stops working this exporter; the assignment stays in the history.")
            % {"startup": exporter.startup}
            if exporter.startup
            else _("Its startup stops working this exporter; the assignment stays in the history.")
        ),
    )


@object_view(Exporter, Role.MANAGER)
def assignment_decline_view(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).for_list(), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment_decline(actor=request.user, exporter=exporter, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            report_refusal(request, exc, form)
        else:
            messages.success(
                request,
                _("You declined %(exporter)s. The programme team will assign it elsewhere.") % {"exporter": exporter},
            )
            return redirect("onboarding:home")
    return _reason_page(
        request,
        exporter,
        form,
        title=_("Decline %(exporter)s") % {"exporter": exporter},
        button=_("Decline this exporter"),
        intro=_("The exporter goes back to the programme's pool and will not be offered to your startup again."),
    )


@object_view(Exporter, Role.MANAGER)
@require_POST
def exporter_hand_to_agent_view(request, pk: int):
    exporter = get_object_or_404(Exporter.objects.visible_to(request.user).for_list(), pk=pk)
    form = HandToAgentForm(request.POST, startup=exporter.startup)
    if form.is_valid():
        try:
            exporter_hand_to_agent(actor=request.user, exporter=exporter, agent=form.cleaned_data["agent"])
        except ValidationError as exc:
            report_refusal(request, exc)
        else:
            agent = form.cleaned_data["agent"]
            if agent:
                text = _("%(agent)s now works %(exporter)s.") % {"agent": agent, "exporter": exporter}
            else:
                text = _("The whole team now works %(exporter)s.") % {"exporter": exporter}
            messages.success(request, text)
    else:
        messages.error(request, _("Choose someone from your team."))
    return redirect(exporter)


@staff_required
@require_POST
def exporter_bulk_assign_view(request):
    """Step 1 (the list's ticked rows): confirm them and choose the startup. Step 2: assign all or none."""
    ids = parse_ids(request.POST.getlist("exporter"))[:500]
    if not ids:
        messages.warning(request, _("Tick at least one exporter in the list first."))
        return redirect("onboarding:exporter-list")
    if "startup" not in request.POST:
        form = BulkAssignForm(initial={"exporter": ids})
    else:
        data = request.POST.copy()
        data.setlist("exporter", [str(i) for i in ids])  # the parsed ids: junk never reaches the database
        form = BulkAssignForm(data)
        if form.is_valid():
            startup = form.cleaned_data["startup"]
            try:
                count = exporters_assign_bulk(
                    actor=request.user,
                    exporters=list(form.cleaned_data["exporter"]),
                    startup=startup,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                report_refusal(request, exc, form)
            else:
                messages.success(
                    request, _("%(count)s exporters are now with %(startup)s.") % {"count": count, "startup": startup}
                )
                return redirect(reverse("onboarding:exporter-list") + f"?startup={startup.pk}")
    selected = Exporter.objects.for_list().filter(pk__in=ids)
    return render(request, "onboarding/exporter_bulk_assign.html", {"form": form, "selected": selected})

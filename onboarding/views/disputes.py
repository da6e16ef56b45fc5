"""Disputes: officers see every open one and resolve it with a note; a startup sees its own,
with the officers' notes, read-only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ..models import Dispute
from ..models.users import STAFF
from ..pagination import paginate
from ..services.disputes import dispute_resolve
from .access import member_required, object_view, report_refusal
from .navigation import safe_next

PER_PAGE = 25
STATES = {"open": gettext_lazy("Open"), "resolved": gettext_lazy("Resolved"), "all": gettext_lazy("All")}


@member_required
def dispute_list(request):
    state = request.GET.get("state") if request.GET.get("state") in STATES else "open"
    disputes = Dispute.objects.visible_to(request.user).for_page()
    if state == "open":
        disputes = disputes.open()
    elif state == "resolved":
        disputes = disputes.filter(resolved_at__isnull=False)
    page = paginate(request, disputes, per_page=PER_PAGE)
    context = {"page": page, "state": state, "states": STATES, "here": request.get_full_path()}
    return render(request, "onboarding/dispute_list.html", context)


@object_view(Dispute, *STAFF)
@require_POST
def dispute_resolve_view(request, pk: int):
    dispute = get_object_or_404(Dispute.objects.visible_to(request.user), pk=pk)
    try:
        dispute_resolve(actor=request.user, dispute=dispute, note=request.POST.get("note", ""))
    except ValidationError as refusal:
        report_refusal(request, refusal)
    else:
        messages.success(
            request,
            _("Resolved the dispute about %(startup)s on %(exporter)s; its managers are told.")
            % {"startup": dispute.startup, "exporter": dispute.exporter},
        )
    return redirect(safe_next(request) or "onboarding:dispute-list")

"""The outbox as staff and startups see it: every email sent or to be sent, filterable."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..filters import OutboxFilter
from ..models import OutboxMessage
from ..models.outbox import UNDELIVERED_STATUSES
from ..models.users import STAFF
from ..pagination import OUTBOX_SORTS, paginate, sort
from ..reports.exports import OUTBOX
from ..services.outbox import outbox_resend
from .access import member_required, object_view, report_refusal
from .downloads import list_export
from .navigation import safe_next


@member_required
def outbox_list(request):
    """What was sent to whom, when, about what: staff see all, a startup its own."""
    outbox = (
        OutboxMessage.objects.visible_to(request.user)
        .select_related("recipient", "startup", "to_exporter")
        .with_exporter_count()
        .order_by("-created_at", "-pk")
    )
    filterset = OutboxFilter(request.GET, queryset=outbox, request=request)
    outbox, sorting = sort(request, filterset.qs, OUTBOX_SORTS)
    if export := list_export(request, outbox, OUTBOX, "outbox"):
        return export
    page = paginate(request, outbox)
    return render(
        request,
        "onboarding/outbox_list.html",
        {"filter": filterset, "page": page, "sorting": sorting, "not_delivered": UNDELIVERED_STATUSES},
    )


@require_POST
@object_view(OutboxMessage, *STAFF)
def outbox_resend_view(request, pk: int):
    """Staff send an email that was not delivered again, under the same Message-ID."""
    message = get_object_or_404(OutboxMessage, pk=pk)
    try:
        outbox_resend(actor=request.user, message=message)
    except ValidationError as refusal:
        report_refusal(request, refusal)
    else:
        messages.success(
            request,
            _(
                "%(kind)s to %(addressee)s is queued to be sent again, with the same"
                " Message-ID: a mailbox that has the first copy keeps only one."
            )
            % {"kind": message.get_kind_display(), "addressee": message.addressee},
        )
    return redirect(safe_next(request) or "onboarding:outbox")

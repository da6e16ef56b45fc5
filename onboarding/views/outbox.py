"""The outbox as staff and startups see it: every email sent or to be sent, filterable."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import render

from ..filters import OutboxFilter
from ..models import OutboxMessage
from ..pagination import OUTBOX_SORTS, paginate, sort
from ..reports.exports import OUTBOX
from .access import member_required
from .downloads import list_export


@member_required
def outbox_list(request):
    """What was sent to whom, when, about what: staff see all, a startup its own."""
    through = OutboxMessage.exporters.through
    exporter_count = (
        through.objects.filter(outboxmessage=OuterRef("pk"))
        .order_by()
        .values("outboxmessage")
        .annotate(n=Count("pk"))
        .values("n")
    )
    outbox = (
        OutboxMessage.objects.visible_to(request.user)
        .select_related("recipient", "startup", "to_exporter")
        .annotate(exporter_count=Coalesce(Subquery(exporter_count), 0))
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
        {"filter": filterset, "page": page, "sorting": sorting},
    )

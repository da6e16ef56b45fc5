from django.shortcuts import render

from ..models import Assignment
from ..reports.distribution import distribution_figures
from ..reports.exports import ASSIGNMENTS
from ..services.summary import summary_current
from .access import staff_required
from .downloads import list_export


@staff_required
def distribution_report(request):
    """Exporters per startup against capacity, and by state and sector: where the skew is.

    `?format=csv|xlsx` downloads the assignment history behind it, newest first."""
    history = Assignment.objects.order_by("-assigned_at", "-pk")
    if export := list_export(request, history, ASSIGNMENTS, "assignments"):
        return export
    summary = summary_current()
    return render(request, "onboarding/report_distribution.html", distribution_figures(summary.figures, summary.as_of))

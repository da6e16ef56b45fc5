from django.shortcuts import render

from ..models import Assignment
from ..pagination import paginate
from ..reports.distribution import distribution_figures, with_startups
from ..reports.exports import ASSIGNMENTS
from ..services.summary import summary_current
from .access import staff_required
from .downloads import list_export

STARTUPS_PER_PAGE = 25


@staff_required
def distribution_report(request):
    """Exporters per startup against capacity, and by state and sector: where the skew is.

    `?format=csv|xlsx` downloads the assignment history behind it, newest first."""
    history = Assignment.objects.order_by("-assigned_at", "-pk")
    if export := list_export(request, history, ASSIGNMENTS, "assignments"):
        return export
    summary = summary_current()
    figures = distribution_figures(summary.counts, summary.as_of)
    # A page of the startups, fullest first: the table is for finding the skew, and every
    # startup's load is also on the startup list (sortable by load).
    page = paginate(request, figures["startups"], per_page=STARTUPS_PER_PAGE)
    figures.update(startups=with_startups(list(page.object_list)), page=page)
    return render(request, "onboarding/report_distribution.html", figures)

from django.shortcuts import render

from ..reports.distribution import distribution_figures
from ..services.summary import summary_current
from .access import staff_required


@staff_required
def distribution_report(request):
    """Exporters per startup against capacity, and by state and sector: where the skew is."""
    summary = summary_current()
    return render(request, "onboarding/report_distribution.html", distribution_figures(summary.figures, summary.as_of))

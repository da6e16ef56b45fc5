from django.shortcuts import render
from django.utils import timezone

from ..models import Exporter, Role, Stage
from ..permissions import member_required
from ..reports import dashboard_figures


@member_required
def home(request):
    """Staff land on the programme dashboard; startup users on what needs attention today."""
    if request.user.role in (Role.ADMIN, Role.OFFICER):
        return render(request, "onboarding/dashboard.html", dashboard_figures(timezone.now()))
    return startup_home(request)


def startup_home(request):
    now = timezone.now()
    stages = list(Stage.objects.ordered())
    exporters = Exporter.objects.visible_to(request.user).for_list()
    mine = request.GET.get("mine") == "1"  # agents: only the exporters handed to me
    if mine:
        exporters = exporters.filter(agent=request.user)
    exporters = exporters.by_urgency(now, stages)[:200]
    return render(
        request,
        "onboarding/startup_home.html",
        {"startup": request.user.startup, "exporters": exporters, "stages": stages, "now": now, "mine": mine},
    )

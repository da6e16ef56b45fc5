"""The team page: a startup manager adds and removes agents."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.users import TeamAgentForm
from ..models import Exporter, StartupMember
from ..models.startups import MemberRole
from ..services.startups import startup_agent_invite, startup_member_reinvite, startup_member_remove
from .access import manager_required, report_refusal


def _team(startup) -> list[StartupMember]:
    """Active members, each with the number of the startup's exporters handed to them (2 queries)."""
    handed = dict(
        Exporter.objects.filter(startup=startup, agent__isnull=False)
        .order_by()
        .values_list("agent")
        .annotate(n=Count("pk"))
        .values_list("agent", "n")
    )
    members = list(
        StartupMember.objects.active().filter(startup=startup).select_related("user").order_by("role", "user__email")
    )
    for member in members:
        member.exporters = handed.get(member.user_id, 0)
    return members


@manager_required
def team_view(request):
    startup = request.user.startup
    form = TeamAgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        startup_agent_invite(actor=request.user, startup=startup, **form.cleaned_data)
        # One answer whether or not the address could join: it must not tell who has an account.
        email = form.cleaned_data["email"]
        messages.success(
            request,
            _(
                "%(email)s: if this address can join %(startup)s, it is now on your team below, "
                "and a new person gets an email to set their password."
            )
            % {"email": email, "startup": startup},
        )
        return redirect("onboarding:team")
    return render(request, "onboarding/team.html", {"startup": startup, "members": _team(startup), "form": form})


@manager_required
@require_POST
def team_member_remove_view(request, pk: int):
    # Only agents of the manager's own startup: anything else is a 404.
    member = get_object_or_404(
        StartupMember.objects.active(), pk=pk, startup=request.user.startup, role=MemberRole.AGENT
    )
    startup_member_remove(actor=request.user, member=member)
    messages.success(
        request,
        _("%(name)s no longer has access. Their exporters stay with %(startup)s, for the team.")
        % {"name": member.user, "startup": member.startup},
    )
    return redirect("onboarding:team")


@manager_required
@require_POST
def team_member_reinvite_view(request, pk: int):
    # Only members of the manager's own startup: anyone else's is a 404.
    member = get_object_or_404(
        StartupMember.objects.active().select_related("user", "startup"), pk=pk, startup=request.user.startup
    )
    try:
        startup_member_reinvite(actor=request.user, member=member)
    except ValidationError as refusal:
        report_refusal(request, refusal)
    else:
        messages.success(
            request, _("The invitation was sent again to %(email)s, with a new link.") % {"email": member.user.email}
        )
    return redirect("onboarding:team")

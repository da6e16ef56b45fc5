"""Whose exporters a startup user is looking at: all of their startup's, or only those handed
to them. One choice for the home page and the exporter list, remembered in the session, so a
count on the home page and the list it links to always cover the same exporters."""

from __future__ import annotations

from ..models.users import Role

SESSION_KEY = "exporters_mine"
YES = {"true", "1", "on", "yes"}
NO = {"false", "0", "off", "no"}


def exporters_mine(request) -> bool:
    """Only the user's own exporters? `?mine=true|false` chooses (and is remembered for the
    session); without it, the remembered choice; at first, agents see their own and managers
    their whole startup's. Staff have no scope: always False."""
    user = request.user
    if user.is_programme_staff:
        return False
    asked = str(request.GET.get("mine", "")).strip().lower()
    current = request.session.get(SESSION_KEY, user.role == Role.AGENT)
    if (asked in YES or asked in NO) and current != (asked in YES):
        current = request.session[SESSION_KEY] = asked in YES  # written only when changed: no save per page
    return bool(current)


def scope_param(mine: bool) -> str:
    """The scope as the list's query parameter, in the one spelling the filter form shows."""
    return "true" if mine else "false"

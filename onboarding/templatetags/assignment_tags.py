"""The assignment panel on the exporter page: who has it, since when and why, past
assignments, and the actions the viewer may take. Kept out of the exporter view so
the page's owner and this feature can change independently."""

from __future__ import annotations

from django import template

from ..forms.assignments import HandToAgentForm
from ..models import Role

register = template.Library()


@register.simple_tag(takes_context=True)
def assignment_panel(context, exporter, assignments) -> dict:
    """`assignments`: those the exporter page read for the viewer (`visible_to`: a startup sees
    its own only, not who had the exporter before nor why it left them), newest first. No query
    but the team's, when a manager looks."""
    user = context["request"].user
    current = next((a for a in assignments if a.ended_at is None), None)
    role = user.role
    is_manager = role == Role.MANAGER and exporter.startup_id is not None
    return {
        "current": current,
        "past": [a for a in assignments if a.ended_at is not None],
        "is_staff": user.is_programme_staff,
        "is_manager": is_manager,
        "agent_form": (
            HandToAgentForm(startup=exporter.startup, initial={"agent": exporter.agent_id}) if is_manager else None
        ),
    }

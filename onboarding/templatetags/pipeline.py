"""An exporter's place in the pipeline, written in Python: the SLA badge and the board's cards.
A board draws up to 144 cards and the startup home 25 badges; through the template language
each one's dozen look-ups were most of those pages' time."""

from django import template
from django.utils.html import format_html

from ..links import link

register = template.Library()

LATENESS_WORDS = {"stalled": " · stalled", "late": " · late"}
CARD = (
    '<li class="list-group-item small board-card">'
    '<a class="fw-semibold d-block text-truncate" href="{url}" title="{name}">{name}</a>'
    '<div class="text-muted board-meta">{startup}<span class="badge text-bg-{colour}">'
    "{progress}</span></div>{actions}</li>"
)
ACTIONS = (
    '<div class="board-actions d-flex gap-1 mt-1">'
    '<a class="btn btn-outline-secondary btn-sm py-0" href="{url}" aria-label="Open {name}">'
    '<i class="bi bi-box-arrow-up-right" aria-hidden="true"></i><span class="board-label"> Open</span></a>'
    '<a class="btn btn-outline-primary btn-sm py-0" href="{assign_url}" aria-label="Assign {name} to another startup">'
    '<i class="bi bi-people" aria-hidden="true"></i><span class="board-label"> Assign</span></a></div>'
)


def _progress(exporter) -> str:
    """ "day 4 of 3 · late": days in the stage against its SLA, and lateness said in words."""
    lateness = LATENESS_WORDS.get(exporter.lateness, "")
    return f"day {exporter.days_in_stage} of {exporter.current_stage.sla_days}{lateness}"


@register.simple_tag
def sla_badge(exporter):
    """The stage badge: one colour each for on time, late (past the SLA) and stalled (late, no
    work since), said in words too; "Not started" before the first stage."""
    if exporter.current_stage is None:
        return format_html('<span class="badge text-bg-{} text-wrap">Not started</span>', exporter.sla_state)
    return format_html(
        '<span class="badge text-bg-{} text-wrap">{} · {}</span>',
        exporter.sla_state,
        exporter.current_stage,
        _progress(exporter),
    )


@register.simple_tag
def board_card(exporter, staff: bool):
    """One card: the exporter, (for staff) its startup, how long it has been in its stage against
    the stage's SLA in the SLA colours, and (for staff) open/assign buttons."""
    url, name = link("onboarding:exporter-detail", exporter.pk), str(exporter)
    startup, actions = "", ""
    if staff:
        startup = format_html('<span class="board-startup">{} · </span>', exporter.startup)
        assign_url = link("onboarding:exporter-assign", exporter.pk)
        actions = format_html(ACTIONS, url=url, name=name, assign_url=assign_url)
    return format_html(
        CARD,
        url=url,
        name=name,
        startup=startup,
        colour=exporter.sla_state,
        progress=_progress(exporter),
        actions=actions,
    )

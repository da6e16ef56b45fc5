"""An exporter's place in the pipeline, written in Python: the SLA badge and the board's cards.
A board draws up to 144 cards and the startup home 25 badges; through the template language
each one's dozen look-ups were most of those pages' time."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..links import link

register = template.Library()

LATENESS_WORDS = {"stalled": gettext_lazy(" · stalled"), "late": gettext_lazy(" · late")}
# A card wraps the exporter's and the startup's names rather than cutting them, and its badge
# wraps inside the card; the name is the link that opens the exporter.
CARD = (
    '<li class="list-group-item small board-card">'
    '<a class="fw-semibold d-block text-break" href="{url}">{name}</a>'
    '{startup}<span class="{badge} board-badge">{progress}</span>{actions}</li>'
)
ACTIONS = (
    '<div class="board-actions mt-1">'
    '<a class="btn btn-outline-primary btn-sm py-0" href="{assign_url}" aria-label="{label}">'
    '<i class="bi bi-people" aria-hidden="true"></i><span class="board-label"> {assign}</span></a></div>'
)


def badge_class(exporter) -> str:
    """A badge in the exporter's SLA colour (`Exporter.sla_state`: plain unless it needs acting on)."""
    colour = exporter.sla_state
    return f"badge text-bg-{colour} text-wrap" + (" border" if colour == "light" else "")


def _progress(exporter) -> str:
    """ "day 4 of 3 · late": days in the stage against its SLA, and lateness said in words."""
    lateness = LATENESS_WORDS.get(exporter.lateness, "")
    day = _("day %(day)s of %(sla)s") % {"day": exporter.days_in_stage, "sla": exporter.current_stage.sla_days}
    return f"{day}{lateness}"


@register.simple_tag
def sla_badge(exporter):
    """The stage badge: the stage and days against its SLA in words, coloured only when the
    exporter is stalled (see `Exporter.sla_state`); "Not started" before the first stage."""
    if exporter.current_stage is None:
        return format_html('<span class="{}">{}</span>', badge_class(exporter), _("Not started"))
    return format_html(
        '<span class="{}">{} · {}</span>', badge_class(exporter), exporter.current_stage, _progress(exporter)
    )


@register.simple_tag
def board_card(exporter, staff: bool):
    """One card: the exporter (its name opens it), for staff its startup, days in its stage
    against the stage's SLA (coloured only when stalled), and for staff an assign button."""
    url, name = link("onboarding:exporter-detail", exporter.pk), str(exporter)
    startup, actions = "", ""
    if staff:
        startup = format_html('<div class="text-muted board-startup text-break">{}</div>', exporter.startup)
        assign_url = link("onboarding:exporter-assign", exporter.pk)
        label = _("Assign %(name)s to another startup") % {"name": name}
        actions = format_html(ACTIONS, label=label, assign_url=assign_url, assign=_("Assign"))
    return format_html(
        CARD,
        url=url,
        name=name,
        startup=startup,
        badge=badge_class(exporter),
        progress=_progress(exporter),
        actions=actions,
    )

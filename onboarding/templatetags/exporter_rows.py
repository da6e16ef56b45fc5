"""Rows of exporters written in Python: the exporter list's (`{% exporter_row exporter staff %}`)
and a startup home's (`{% home_row exporter %}`). Fifty rows of a dozen look-ups each, through
the template language, cost 1.2 ms more for staff and about 3 ms more for a startup user (whose
rows also carry the agent and last work)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..links import link
from .formats import ago
from .pipeline import sla_badge

register = template.Library()

ROW = (
    '<tr>{pick}<td class="text-break"><a href="{url}">{name}</a>{sector}'
    '<div class="small text-muted d-md-none">{gstin}</div></td>'
    '<td class="d-none d-md-table-cell"><code>{gstin}</code></td><td>{place}</td><td>{stage}{since}</td>{tail}</tr>'
)
PICK = (
    '<td><input class="form-check-input" type="checkbox" name="exporter" value="{}" id="pick-{}" aria-label="{}"></td>'
)
STAFF_TAIL = "<td>{}</td><td>{}</td>"  # startup, status
# agent, last work
STARTUP_TAIL = '<td class="d-none d-md-table-cell">{}</td><td class="d-none d-md-table-cell">{}</td>'
UNASSIGNED = '<span class="text-muted">{}</span>'


@register.simple_tag
def exporter_row(exporter, staff: bool):
    """One row: (staff) a tick box, the name with its sector, GSTIN, place, stage and how long
    ago it was entered, then (staff) startup and status or (startup users) agent and last work."""
    sector = exporter.sector
    if staff:
        select = _("Select %(name)s") % {"name": exporter.legal_name}
        pick = format_html(PICK, exporter.pk, exporter.pk, select)
        startup = exporter.startup or format_html(UNASSIGNED, _("Unassigned"))
        tail = format_html(STAFF_TAIL, startup, exporter.get_status_display())
    else:
        pick = ""
        tail = format_html(STARTUP_TAIL, exporter.agent or "—", ago(exporter.last_activity_at) or "—")
    entered = exporter.stage_entered_at
    return format_html(
        ROW,
        pick=pick,
        url=exporter.get_absolute_url(),
        name=exporter.legal_name,
        sector=format_html('<div class="small text-muted">{}</div>', sector.name) if sector else "",
        gstin=exporter.gstin,
        place=f"{exporter.district}, {exporter.state_name}" if exporter.district else exporter.state_name,
        stage=exporter.current_stage or "—",
        since=format_html('<div class="small text-muted">{}</div>', ago(entered)) if entered else "",
        tail=tail,
    )


HOME_ROW = (
    '<div class="list-group-item"><div class="d-flex justify-content-between flex-wrap gap-2">'
    '<div><a class="fw-semibold" href="{url}">{name}</a> <span class="text-muted small">{place}</span></div>'
    '<div>{badge}</div></div><div class="d-flex justify-content-between align-items-center flex-wrap gap-2 mt-1">'
    '<div class="small text-muted">{last}{upcoming}</div>'
    '<a class="btn btn-sm btn-primary" href="{log_url}">{log}</a></div></div>'
)


@register.simple_tag
def home_row(exporter):
    """A startup home's row: the exporter and its place, its stage badge, its last work and
    next stage, and the button to log work."""
    last = exporter.last_activity_at
    upcoming = exporter.upcoming
    return format_html(
        HOME_ROW,
        url=link("onboarding:exporter-detail", exporter.pk),
        name=exporter,
        place=f"{exporter.district}, {exporter.state_name}" if exporter.district else exporter.state_name,
        badge=sla_badge(exporter),
        last=_("Last work %(when)s") % {"when": ago(last)} if last else _("No work logged yet"),
        upcoming=" · " + _("next: %(upcoming)s") % {"upcoming": upcoming} if upcoming else "",
        log_url=link("onboarding:exporter-log-work", exporter.pk),
        log=_("Log work"),
    )

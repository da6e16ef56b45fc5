"""The exporter list's rows, written in Python (`{% exporter_row exporter staff %}`): fifty rows
of a dozen look-ups each, through the template language, cost 1.2 ms more for staff and about
3 ms more for a startup user (whose rows also carry the agent and last work)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .formats import ago

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

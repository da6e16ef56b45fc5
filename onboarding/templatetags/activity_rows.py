"""The work log's entries, written in Python (`{% activity_item activity %}`): fifty entries
of a dozen look-ups and filters each, through the template language, were most of the work
log's own time."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()

ITEM = (
    '<div class="list-group-item"><div class="d-flex justify-content-between flex-wrap gap-1">'
    '<span><span class="badge text-bg-light">{kind}</span>{outcome} <a href="{url}">{exporter}</a>{startup}</span>'
    '<time class="small text-muted" datetime="{iso}">{when}</time></div>'
    '<div class="small">{note}</div><div class="small text-muted">{who}{minutes}{file}</div></div>'
)
OUTCOME = ' <span class="badge {}">{}</span>'
FILE = ' · <a href="{}"><i class="bi bi-paperclip" aria-hidden="true"></i> {}</a>'


@register.simple_tag
def activity_item(activity, staff: bool):
    """One entry: kind, outcome, exporter, (staff) startup, when; the note; who logged it, how
    long it took and its file."""
    a = activity
    local = timezone.localtime(a.occurred_at)  # as the template's date filter would
    words = a.outcome_words
    tone = "text-bg-success" if a.reached else "text-bg-light border"
    return format_html(
        ITEM,
        kind=a.get_kind_display(),
        outcome=format_html(OUTCOME, tone, capfirst(words)) if words else "",
        url=a.exporter.get_absolute_url(),
        exporter=a.exporter,
        startup=format_html(' <span class="text-muted small">· {}</span>', a.startup) if staff else "",
        iso=date_filter(local, "c"),
        when=date_filter(local, "d M Y, H:i"),
        note=truncatechars(a.note, 200),
        who=a.user or _("Logged automatically"),
        minutes=" · " + _("%(minutes)s min") % {"minutes": localize(a.duration_minutes)} if a.duration_minutes else "",
        file=format_html(FILE, a.download_url, a.file_name) if a.attachment else "",
    )

"""The exporter page's timeline entries, written in Python (`{% timeline_entry entry %}`): thirty
entries of a dozen look-ups and filters each, through the template language, were a third of
the page's own rendering."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()

ENTRY = (
    '<li class="list-group-item small"><div class="d-flex justify-content-between flex-wrap gap-1">'
    '<span><i class="bi bi-{icon} text-{tone}" aria-hidden="true"></i> <strong>{title}</strong>{who}</span>'
    '<time class="text-muted" datetime="{iso}">{when}</time></div>{detail}{files}{changes}</li>'
)
FILE = '<div><a href="{}"><i class="bi bi-paperclip" aria-hidden="true"></i> {}</a></div>'
CHANGE = '<div class="ms-3">{}: <del>{}</del> → {}</div>'


@register.simple_tag
def timeline_entry(entry):
    """One entry (reports/timeline.Entry): its icon, title, who and when; what it says, its files
    and, for a change to the record, each field's value before and after."""
    local = timezone.localtime(entry.at)  # as the template's date filter would
    none = _("(none)")
    return format_html(
        ENTRY,
        icon=entry.icon,
        tone=entry.tone,
        title=entry.title,
        who=format_html(" · {}", entry.who) if entry.who else "",
        iso=date_filter(local, "c"),
        when=date_filter(local, "d M Y, H:i"),
        detail=format_html('<div class="text-muted">{}</div>', entry.detail) if entry.detail else "",
        files=format_html_join("", FILE, entry.files),
        changes=format_html_join(
            "", CHANGE, ((capfirst(name), before or none, after or none) for name, before, after in entry.changes)
        ),
    )

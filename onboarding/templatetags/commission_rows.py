"""The commission statement's rows, written in Python (`{% commission_row c %}`): an admin's
row carries two small forms (approve, reverse), and fifty of them through the template
language were most of the statement's own time."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..links import link
from .formats import inr
from .lists import once_a_page, post_fields

register = template.Library()

ROW = (
    '<tr><td class="d-none d-sm-table-cell">{date}</td>{startup}'
    '<td class="text-break"><a href="{url}">{exporter}</a><div class="small text-muted d-md-none">{stage}'
    '<span class="d-sm-none"> · {date}</span></div></td>'
    '<td class="d-none d-md-table-cell">{stage}</td><td class="text-end{negative}">{amount}</td>'
    "<td>{status}{reversal}{reference}{note}</td>{action}</tr>"
)
BUTTONS = '<div class="d-flex flex-wrap gap-1">{}{}</div>'
SMALL = '<div class="small text-muted">{}</div>'
APPROVE = (
    '<form method="post" action="{approve_url}">{hidden}<button class="btn btn-sm btn-success" '
    'type="submit">{approve}</button></form>'
)
REVERSE = (
    '<details><summary class="small">{reverse}</summary><form method="post" class="d-flex gap-1 mt-1" '
    'action="{reverse_url}">{hidden}<label class="visually-hidden" for="why-{pk}">{reason}</label>'
    '<input class="form-control form-control-sm" id="why-{pk}" name="reason" placeholder="{reason}" required>'
    '<button class="btn btn-sm btn-outline-danger" type="submit">{reverse}</button></form></details>'
)


@register.simple_tag(takes_context=True)
def commission_row(context, commission):
    """One row: date, (staff) startup, exporter, stage, amount, status with its reversal mark,
    payment reference and note, then (admins) approve when accrued and reverse, unless the
    row is itself a reversal."""
    c = commission
    day = date_filter(timezone.localtime(c.created_at), "d M Y")  # as the template's filter would
    action = ""
    if context.get("nav_is_admin"):
        buttons = ""
        if not c.reverses_id:
            fields = {
                **_shared(context),
                "approve_url": link("onboarding:commission-action", c.pk, "approve"),
                "reverse_url": link("onboarding:commission-action", c.pk, "reverse"),
                "pk": c.pk,
            }
            approve = format_html(APPROVE, **fields) if c.status == "accrued" else ""
            buttons = format_html(BUTTONS, approve, format_html(REVERSE, **fields))
        action = format_html("<td>{}</td>", buttons)
    return format_html(
        ROW,
        date=day,
        startup=format_html("<td>{}</td>", c.startup) if context.get("nav_is_staff") else "",
        url=c.exporter.get_absolute_url(),
        exporter=c.exporter,
        stage=c.stage,
        negative=" text-danger" if c.amount < 0 else "",
        amount=inr(c.amount),
        status=c.get_status_display(),
        reversal=format_html(' <span class="badge text-bg-light">{}</span>', _("reversal")) if c.reverses_id else "",
        reference=format_html(SMALL, c.payment_reference) if c.payment_reference else "",
        note=format_html(SMALL, c.note) if c.note else "",
        action=action,
    )


def _shared(context) -> dict:
    """What every row's two forms have in common, made once a page."""
    return once_a_page(
        context,
        "commission_forms",
        lambda: {
            "hidden": post_fields(context, context["request"].get_full_path()),
            "reverse": _("Reverse"),
            "reason": _("Reason"),
            "approve": _("Approve"),
        },
    )

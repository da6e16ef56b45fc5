"""Indian formats in templates: {{ amount|inr }} → ₹5,19,500.00, {{ amount|inr_short }} → ₹5.2 lakh;
{{ mobile|phone }} → +91 75173 62430; codes in words: {{ codes|country_names }},
{{ codes|language_names }}; {{ when|ago }} → 3 days ago; {{ waiting|badge }} → 99+;
a report table's cells as people read them: {% for row in table|table_rows %}."""

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..reference import LANGUAGES, indian_number, rupees
from ..validators import country_name

register = template.Library()


@register.filter
def inr(amount) -> str:
    return rupees(amount)


@register.filter
def inr_short(amount) -> str:
    return rupees(amount, short=True)


# A navbar badge shows counts up to this, and "99+" beyond.
BADGE_UP_TO = 99


@register.filter
def badge(count) -> str:
    """{{ waiting|badge }} → 12, or 99+ beyond BADGE_UP_TO."""
    return f"{BADGE_UP_TO}+" if count > BADGE_UP_TO else str(count)


@register.filter
def phone(number) -> str:
    """An Indian mobile grouped for reading aloud: "+917517362430" → "+91 75173 62430". Anything
    else (a landline, a foreign number) is shown as stored; the tel: link keeps the raw number."""
    digits = str(number or "").replace(" ", "")
    if len(digits) == 13 and digits.startswith("+91") and digits[1:].isdigit():
        return f"+91 {digits[3:8]} {digits[8:]}"
    return str(number or "")


@register.filter
def country_names(codes) -> str:
    """ISO country codes in words: ["AE", "US"] → "United Arab Emirates, United States"."""
    if isinstance(codes, str):
        codes = [codes] if codes else []
    return ", ".join(country_name(code) for code in codes or ())


@register.filter
def language_names(codes) -> str:
    """Language codes in words: ["en", "kn"] → "English, Kannada"."""
    return ", ".join(_(LANGUAGES.get(code, code)) for code in codes or ())


@register.filter
def ago(moment) -> str:
    """How long ago, in days, for a list's column: "today", "yesterday", "5 days ago", "3 weeks
    ago", then the date. humanize's naturaltime says it to the hour, at ~40 µs a row."""
    if not moment:
        return ""
    days = (timezone.localdate() - timezone.localdate(moment)).days
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    if days < 14:
        return ngettext("%(count)s day ago", "%(count)s days ago", days) % {"count": days}
    if days < 60:
        weeks = days // 7
        return ngettext("%(count)s week ago", "%(count)s weeks ago", weeks) % {"count": weeks}
    return format_date(timezone.localtime(moment), "j M Y")


def figure(value, heading: str, money: bool = False) -> str:
    """One cell of a report table in words: ₹1,60,000.00 in a rupee column, "42.5%" under a
    heading with %, "3 days" under one with days, US$ for USD, counts grouped (16,000), "—" for blank."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    heading = heading.lower()
    if money or "(₹)" in heading:
        return rupees(value)
    if "(usd)" in heading:
        return rupees(value).replace("₹", "US$")
    if "%" in heading:
        return f"{indian_number(value, 1)}%"
    if "days" in heading:
        days = indian_number(value, 1)
        return _("%(days)s day") % {"days": days} if days == "1" else _("%(days)s days") % {"days": days}
    return indian_number(value, 1)


@register.filter
def table_rows(table) -> list[list[str]]:
    """A report Table's rows, each cell as `figure` writes it under its column's heading."""
    kinds = [(heading, index in table.money) for index, heading in enumerate(table.header)]
    return [
        [figure(cell, *kinds[i]) if i < len(kinds) else str(cell) for i, cell in enumerate(row)] for row in table.rows
    ]

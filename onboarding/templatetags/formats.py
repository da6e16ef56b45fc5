"""Indian formats in templates: {{ amount|inr }} → ₹5,19,500.00, {{ amount|inr_short }} → ₹5.2 lakh;
codes in words: {{ codes|country_names }}, {{ codes|language_names }}; {{ when|ago }} → 3 days ago."""

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date

from ..reference import LANGUAGES, rupees
from ..validators import country_name

register = template.Library()


@register.filter
def inr(amount) -> str:
    return rupees(amount)


@register.filter
def inr_short(amount) -> str:
    return rupees(amount, short=True)


@register.filter
def country_names(codes) -> str:
    """ISO country codes in words: ["AE", "US"] → "United Arab Emirates, United States"."""
    if isinstance(codes, str):
        codes = [codes] if codes else []
    return ", ".join(country_name(code) for code in codes or ())


@register.filter
def language_names(codes) -> str:
    """Language codes in words: ["en", "kn"] → "English, Kannada"."""
    return ", ".join(LANGUAGES.get(code, code) for code in codes or ())


@register.filter
def ago(moment) -> str:
    """How long ago, in days, for a list's column: "today", "yesterday", "5 days ago", "3 weeks
    ago", then the date. humanize's naturaltime says it to the hour, at ~40 µs a row."""
    if not moment:
        return ""
    days = (timezone.localdate() - timezone.localdate(moment)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    return format_date(timezone.localtime(moment), "j M Y")

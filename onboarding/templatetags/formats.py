"""Indian formats in templates: {{ amount|inr }} → ₹5,19,500.00, {{ amount|inr_short }} → ₹5.2 lakh;
codes in words: {{ codes|country_names }}, {{ codes|language_names }}."""

from django import template

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

"""Indian formats in templates: {{ amount|inr }} → ₹5,19,500.00, {{ amount|inr_short }} → ₹5.2 lakh."""

from django import template

from ..reference import rupees

register = template.Library()


@register.filter
def inr(amount) -> str:
    return rupees(amount)


@register.filter
def inr_short(amount) -> str:
    return rupees(amount, short=True)

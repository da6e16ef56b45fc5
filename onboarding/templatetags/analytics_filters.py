"""The analytics filter bar's fields: {% with fields=form|shown_fields:skip %} — the bar is
left out when no field is left to show (never an empty box with only "Apply")."""

from django import template

register = template.Library()


@register.filter
def shown_fields(form, skip: str = "") -> list:
    """The form's visible fields whose names are not in the space-separated `skip`."""
    if not form:
        return []
    skipped = set((skip or "").split())
    return [field for field in form.visible_fields() if field.name not in skipped]

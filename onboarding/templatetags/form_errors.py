"""The error summary at the top of every form: {% error_summary form %}."""

from django import forms, template

register = template.Library()


@register.inclusion_tag("onboarding/_error_summary.html")
def error_summary(form) -> dict:
    """Each problem of a bound form, linked to its field (#id_<field>), and how many there are."""
    problems = [(None, None, message) for message in form.non_field_errors()] if form is not None else []
    for field in form or ():
        target = field.id_for_label or field.auto_id
        if isinstance(field.field.widget, forms.RadioSelect):  # checkbox lists too: the first box has the id
            target = f"{field.auto_id}_0"
        problems.extend((target, field.label, message) for message in field.errors)
    return {"problems": problems}

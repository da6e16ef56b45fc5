"""List page helpers: `{% sort_header "name" "Exporter" %}` is a column head that sorts the list.

It needs `request` and `sorting` (pagination.Sorting) in the context; the link keeps the
other query parameters (filters), drops the page number and toggles the direction.
"""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("onboarding/_sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str, css: str = "") -> dict:
    """A table's column head (`<th>`) whose link sorts by `key`."""
    return _sort_link(context, key, label, css)


@register.inclusion_tag("onboarding/_sort_link.html", takes_context=True)
def sort_link(context, key: str, label: str, css: str = "") -> dict:
    """The same link on its own, for lists that are not tables (cards, list groups)."""
    return _sort_link(context, key, label, css)


def _sort_link(context, key: str, label: str, css: str) -> dict:
    request, sorting = context["request"], context.get("sorting")
    active = sorting is not None and sorting.key == key
    descending = active and sorting.descending
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    params.pop("export", None)
    # The first click sorts ascending; a click on the sorted column turns it round.
    params["sort"] = key if (not active or descending) else f"-{key}"
    aria = ("descending" if descending else "ascending") if active else "none"
    return {"href": f"?{params.urlencode()}", "label": label, "active": active, "aria": aria, "css": css}


# Filters that are not chips: the order has its column heads and the scope its own control.
NOT_CHIPS = {"o", "sort", "mine"}
# Typed name and linked id name one startup: one chip, and removing it drops both.
PAIRED = {"startup_name": ("startup_name", "startup"), "startup": ("startup_name", "startup")}
# The search box stays on top on a phone: it is not counted among the folded filters.
SEARCH = "q"


@register.simple_tag(takes_context=True)
def active_filters(context, filterset) -> list[dict]:
    """The filters narrowing the list as chips: label, the value in words, and the link that
    removes it (keeping the others, back to page 1). Read from the form's cleaned values, so a
    chip shows what the list applied; no query beyond the form's own cleaning."""
    form = getattr(filterset, "form", None)
    if form is None or not form.is_bound:
        return []
    form.is_valid()  # cleaned once; the list's queryset reads the same result
    cleaned, request, chips = form.cleaned_data, context["request"], []
    for name, field in form.fields.items():
        value = cleaned.get(name)
        if name in NOT_CHIPS or value in (None, "", [], ()):
            continue
        if name == "startup" and cleaned.get("startup_name"):
            continue  # the typed name's chip stands for both
        params = request.GET.copy()
        for key in (*PAIRED.get(name, (name,)), "page"):
            params.pop(key, None)
        label = field.label or name.replace("_", " ").capitalize()
        chips.append(
            {"name": name, "label": label, "value": _in_words(field, value), "remove": f"?{params.urlencode()}"}
        )
    return chips


@register.filter
def folded_count(chips) -> int:
    """How many active filters sit behind a phone's "Filters (n)" button: all but the search."""
    return sum(1 for chip in chips if chip["name"] != SEARCH)


def _in_words(field, value) -> str:
    if isinstance(value, bool):  # a yes/no select: its option's words for the value
        choices = dict(getattr(field.widget, "choices", ()))
        return str(choices.get("true" if value else "false", _("Yes") if value else _("No")))
    if isinstance(value, date):
        return format_date(value, "j M Y")
    choices = getattr(field, "choices", None)
    if choices is not None and not hasattr(value, "pk"):
        return str({str(k): v for k, v in choices}.get(str(value), value))
    return str(value)


def once_a_page(context, key, make):
    """`make()`, made once a page and kept in the render's context under `key`: what every row of
    a list writes alike (a row tag is called once a row)."""
    made = context.render_context.get(key)
    if made is None:
        made = context.render_context[key] = make()
    return made


def post_fields(context, here: str) -> SafeString:
    """What a row's own small form carries, as `{% csrf_token %}` and a `next` field write them:
    the CSRF token and the page to come back to (the row tags in commission_rows and
    review_cards write a form per row). Written once a page: every row's are the same."""
    return once_a_page(
        context,
        ("post_fields", here),
        lambda: format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">',
            context.get("csrf_token"),
            here,
        ),
    )

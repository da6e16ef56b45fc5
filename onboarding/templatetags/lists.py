"""List page helpers: `{% sort_header "name" "Exporter" %}` is a column head that sorts the list.

It needs `request` and `sorting` (pagination.Sorting) in the context; the link keeps the
other query parameters (filters), drops the page number and toggles the direction.
"""

from __future__ import annotations

from django import template

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

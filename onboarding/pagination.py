"""Paging and column sorting for every list page (and the API's lists).

`paginate` gives one page with its numbered links ("1 2 … 7 8 9 … 40"); `sort` orders a
queryset by an allow-listed key from `?sort=` (`name` or `-name`; each list's keys are at the
end of this module), ignoring anything else.
Templates show them with `_pagination.html` and `{% sort_header %}` (templatetags/lists.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from . import database

PAGE_SIZE = 50
# Above this many rows an unfiltered PostgreSQL table is counted from the planner's
# statistics: an exact COUNT(*) of 100,000 rows cost as much as the rest of the page.
ESTIMATE_ABOVE = 50_000
EXACT_UP_TO = 10_000
# Numbered links either side of the current page and at each end: "1 2 … 7 8 9 … 39 40".
ON_EACH_SIDE = 2
ON_ENDS = 2


class EstimatingPaginator(Paginator):
    """Counts that stay cheap at a million rows: the planner's estimate for a huge unfiltered
    table, and an exact count of a filtered list only up to EXACT_UP_TO matches ("over 10,000",
    and as many pages, beyond: counting 150,000 matches exactly cost more than showing the
    page, and nobody pages that far rather than narrowing the filters)."""

    estimated = False  # the count is the planner's estimate
    capped = False  # more matches than exact_up_to; the count says exact_up_to
    reordered = False  # shown in paginate()'s `order_if_capped`, not the list's own order
    exact_up_to: int | None = None  # None: EXACT_UP_TO

    @property
    def cap(self) -> int:
        return self.exact_up_to or EXACT_UP_TO

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not database.has_planner_statistics() or not hasattr(queryset, "query"):
            return super().count
        if not queryset.query.where:  # the whole table: one query, counting only a small one
            table = queryset.model._meta.db_table
            # The count is bounded: unbounded, the planner costed this query as a count of the
            # whole table, and at ten million rows it crossed jit_above_cost, so PostgreSQL
            # compiled it on every request (3.4 ms of the work log's 4 ms of SQL) for a count
            # it never ran. A count that reaches the bound (statistics older than the table's
            # growth) is shown as an estimate too.
            rows = f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT %s"
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT c.reltuples > %s, CASE WHEN c.reltuples > %s THEN c.reltuples::bigint "
                    f"ELSE (SELECT COUNT(*) FROM ({rows}) AS bounded) END FROM pg_class c WHERE c.oid = %s::regclass",
                    [ESTIMATE_ABOVE, ESTIMATE_ABOVE, ESTIMATE_ABOVE + 1, table],
                )
                estimated, count = cursor.fetchone()
            self.estimated = estimated or count > ESTIMATE_ABOVE
            return count
        # Unordered: a sorted subquery would sort every match before counting.
        counted = queryset.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)

    @property
    def count_label(self) -> str:
        """The count as a page shows it: "1,234", "about 10,00,000" or "over 10,000"."""
        if self.capped:
            return _("over %(count)s") % {"count": number_format(self.cap, force_grouping=True)}
        shown = number_format(self.count, force_grouping=True)
        return _("about %(count)s") % {"count": shown} if self.estimated else shown


def make_paginator(queryset, per_page: int = PAGE_SIZE, *, estimate: bool = False) -> Paginator:
    """The one place a list's paginator is built (so how lists are counted changes here only)."""
    paginator_class = EstimatingPaginator if estimate else Paginator
    return paginator_class(queryset, per_page)


def paginate(
    request,
    queryset,
    per_page: int = PAGE_SIZE,
    *,
    estimate: bool = False,
    exact_up_to: int | None = None,
    order_if_capped: tuple[str, ...] = (),
) -> Page:
    """One page of `queryset` (a bad or out-of-range page number gives the nearest page).

    The page carries `links`: the numbers to show, with Paginator.ELLIPSIS for the gaps.
    `estimate=True` is for lists that grow to millions of rows (see EstimatingPaginator),
    counted exactly up to `exact_up_to` (default EXACT_UP_TO). Beyond it, `order_if_capped` (an order an index
    serves) replaces the queryset's own: putting tens of thousands of matches in an order no
    index holds costs more than the rest of the page (`paginator.reordered` says so).
    """
    paginator = make_paginator(queryset, per_page, estimate=estimate)
    if estimate:
        paginator.exact_up_to = exact_up_to
    if order_if_capped and estimate and paginator.count and paginator.capped:
        paginator.object_list, paginator.reordered = queryset.order_by(*order_if_capped), True
    page = paginator.get_page(request.GET.get("page"))
    page.links = list(paginator.get_elided_page_range(page.number, on_each_side=ON_EACH_SIDE, on_ends=ON_ENDS))
    page.ellipsis = Paginator.ELLIPSIS
    return page


@dataclass(frozen=True)
class Sorting:
    """The sort a list is shown in: an allow-listed key and its direction (key "" = the list's default)."""

    key: str = ""
    descending: bool = False

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def sort(request, queryset: QuerySet, keys: dict[str, tuple[str, ...]]) -> tuple[QuerySet, Sorting]:
    """`queryset` ordered by `?sort=key` or `?sort=-key` when key is in `keys` (key → model fields).

    Anything else is ignored and the queryset keeps its own order. The primary key breaks
    ties, so a row never shows on two pages.
    """
    value = request.GET.get("sort", "")
    if not isinstance(value, str):
        return queryset, Sorting()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in keys:
        return queryset, Sorting()
    sign = "-" if descending else ""
    fields = [_direct(field, sign) for field in keys[key]]
    return queryset.order_by(*fields, f"{sign}pk"), Sorting(key, descending)


def _direct(field: str, sign: str) -> str:
    """A field name in the sort's direction: a field listed as "-x" (newest first) flips too."""
    if field.startswith("-"):
        return field[1:] if sign else field
    return sign + field


# --- The allow-listed `?sort=` keys of each list ------------------------------------------
# A key names model fields; anything not listed is ignored. Each first field is indexed.

EXPORTER_SORTS = {
    "name": ("legal_name",),
    "gstin": ("gstin",),
    "place": ("state", "district"),
    "stage": ("current_stage__order", "stage_entered_at"),
    "startup": ("startup__legal_name",),
    "status": ("status",),
    "added": ("created_at",),
    "last_work": ("last_activity_at",),
}
STARTUP_SORTS = {
    "name": ("legal_name",),
    "dpiit": ("dpiit_number",),
    "state": ("state", "city"),
    "status": ("status",),
    "load": ("open_exporters",),
    "added": ("created_at",),
}
ACTIVITY_SORTS = {
    "when": ("occurred_at",),
    "exporter": ("exporter__legal_name",),
    "kind": ("kind",),
    "startup": ("startup__legal_name",),
}
COMMISSION_SORTS = {
    "date": ("created_at",),
    "startup": ("startup__legal_name",),
    "exporter": ("exporter__legal_name",),
    "stage": ("stage__order",),
    "amount": ("amount",),
    "status": ("status",),
}
OUTBOX_SORTS = {
    "when": ("created_at",),
    "kind": ("kind",),
    "to": ("recipient__email",),
    "startup": ("startup__legal_name",),
    "status": ("status",),
}
IMPORT_SORTS = {
    "uploaded": ("created_at",),
    "file": ("file_name",),
    "status": ("status",),
    "rows": ("total_rows",),
    "errors": ("error_count",),
}

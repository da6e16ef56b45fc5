from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

PAGE_SIZE = 50
# Above this many rows an unfiltered PostgreSQL table is counted from the planner's
# statistics: an exact COUNT(*) over a million rows costs more than the page itself.
ESTIMATE_ABOVE = 200_000


class EstimatingPaginator(Paginator):
    """Exact counts for filtered lists; the planner's estimate for huge unfiltered tables."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor == "postgresql" and hasattr(queryset, "query") and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > ESTIMATE_ABOVE:
                self.estimated = True
                return row[0]
        self.estimated = False
        return super().count


def paginate(request, queryset, per_page: int = PAGE_SIZE, *, estimate: bool = False):
    """One page of `queryset` (a bad or out-of-range page number gives the nearest page).

    `estimate=True` is for append-only logs that grow to millions of rows.
    """
    paginator_class = EstimatingPaginator if estimate else Paginator
    return paginator_class(queryset, per_page).get_page(request.GET.get("page"))

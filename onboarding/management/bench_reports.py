"""The analytics pages and the monthly pack in `bench`: a full refresh of the outcome figures
(kept: it is derived data), each analytics page timed like the main pages, and the build of
last month's pack in a transaction rolled back (its files deleted)."""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from ..models import User
from ..services.monthly_reports import last_finished_month, monthly_report_build
from ..services.outcomes import outcomes_refresh


def report_pages(staff: User, startup_user: User | None) -> list[tuple[str, str, User]]:
    pages = [
        ("time to milestone (staff)", "/reports/milestones/", staff),
        ("time to milestone by startup", "/reports/milestones/?by=startup", staff),
        ("time to milestone, one state", "/reports/milestones/?state=27&by=sector", staff),
        ("trends (staff)", "/reports/trends/", staff),
        ("scorecards (staff)", "/reports/scorecards/", staff),
        ("export outcomes (staff)", "/reports/outcomes/", staff),
        ("monthly reports (staff)", "/reports/monthly/", staff),
    ]
    if startup_user is not None:
        pages.append(("own scorecard (startup)", "/reports/scorecards/", startup_user))
    return pages


def bench_reports(command, staff: User, startup_user: User | None, repeat: int) -> list:
    """Refresh, time the analytics pages (returned as bench Results) and the pack build (printed)."""
    started = time.perf_counter()
    marker = outcomes_refresh(full=True)
    full = time.perf_counter() - started
    started = time.perf_counter()
    outcomes_refresh()
    incremental = time.perf_counter() - started
    command.stdout.write(
        f"outcome figures: full refresh {full:.1f} s ({marker.journeys:,} journeys), incremental {incremental:.1f} s"
    )
    results = [command.measure(name, url, user, repeat) for name, url, user in report_pages(staff, startup_user)]
    report = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            report = monthly_report_build(month=last_finished_month(timezone.localdate()), version=32_000, actor=staff)
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
    finally:
        if report is not None:
            report.xlsx.delete(save=False)
            report.pdf.delete(save=False)
    command.stdout.write(f"monthly pack build (XLSX + PDF, rolled back): {seconds:.1f} s (budget 60 s)")
    return results

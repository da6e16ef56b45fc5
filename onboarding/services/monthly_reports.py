"""Frozen monthly packs: built once per (month, version), hashed, stored privately, never changed.

A pack shows the month as it stood at its end (reaches, orders and commission entries after
it are left out), from the journeys as corrected up to the build: so a rebuild after a data
correction is a new version beside the old one, which stays as it was. Money counts by its own
date in India time: accrued when entered, approved when approved, paid when paid.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import MonthlyReport, Stage, Startup, User
from ..models.outcomes import ExporterJourney, SummaryKind
from ..reports.analytics import MemorySource, Table
from ..reports.monthly import (
    commission_table,
    distribution_tables,
    for_people,
    pack_tables,
    unconfirmed_table,
)
from ..reports.pdf import pdf_bytes
from ..spreadsheets import xlsx_sheets_bytes
from ..tasks import monthly_report_build_task
from .outcomes import journey_values, outcomes_refresh, summary_rows

logger = logging.getLogger(__name__)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def last_finished_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def check_month(month: date, today: date) -> date:
    """The month's first day; refused while the month is not over (a pack is always a whole month)."""
    month = month.replace(day=1)
    if month > last_finished_month(today):
        latest = last_finished_month(today)
        message = _("%(month)s is not over yet: packs are built for finished months, up to %(latest)s.") % {
            "month": date_format(month, "F Y"),
            "latest": date_format(latest, "F Y"),
        }
        raise ValidationError({"month": message})
    return month


def pack_contents(*, month: date) -> tuple[list, dict]:
    """The pack's tables and the PDF's context, from the journeys as they stood at the month's end."""
    last_day = next_month(month) - timedelta(days=1)
    until = timezone.make_aware(datetime.combine(next_month(month), datetime.min.time()))
    journeys = [j.until(last_day) for j in journey_values(ExporterJourney.objects.filter(assigned_on__lte=last_day))]
    # The pack's tables are programme-wide (and by state and sector): the per-startup and MSME
    # slices, most of the work at 500 startups, are not built.
    summaries = summary_rows(journeys, today=last_day, until=until, dimensions=PACK_DIMENSIONS)
    rows = Startup.objects.values_list("pk", "brand_name", "legal_name", "capacity")
    startups = {pk: (brand or legal, capacity) for pk, brand, legal, capacity in rows}
    held = {}
    for journey in journeys:
        if journey.ended_on is None or journey.ended_on > last_day:
            held[journey.startup_id] = held.get(journey.startup_id, 0) + 1
    for summary in summaries:
        if summary.kind == SummaryKind.SCORECARD:
            summary.figures["held"] = held.get(int(summary.key), 0)  # at the month's end, not today
    stages = list(Stage.objects.ordered())
    start = timezone.make_aware(datetime.combine(month, datetime.min.time()))
    # The pack's tables in order, one entry per table or group: a new table is one more line.
    tables = [
        *pack_tables(MemorySource(summaries), month=month, stages=stages, startups=startups),
        commission_table(start, until),
        *distribution_tables(journeys, last_day, startups),
        unconfirmed_table(start, until),
    ]
    return [for_people(table) for table in tables], {"month": month, "journeys": len(journeys)}


PACK_DIMENSIONS = ("all", "state", "sector")
# A PDF longer than this per table takes WeasyPrint minutes at 500 startups; the XLSX has every row.
PDF_ROWS = 60


def pdf_tables(tables: list[Table]) -> list[Table]:
    """The tables for the PDF: the first PDF_ROWS rows of each, saying where the rest are."""
    short = []
    for table in tables:
        if len(table.rows) > PDF_ROWS:
            note = f"{table.note} " + _("The first %(shown)s of %(total)s rows; every row is in the XLSX file.") % {
                "shown": PDF_ROWS,
                "total": len(table.rows),
            }
            table = replace(table, rows=table.rows[:PDF_ROWS], note=note.strip())
        short.append(table)
    return short


def monthly_report_build(*, month: date, version: int, actor: User | None = None) -> MonthlyReport:
    """Build, hash and store `month`'s pack as `version` (XLSX + PDF files); the stored one when it exists."""
    month = check_month(month, timezone.localdate())
    existing = MonthlyReport.objects.filter(month=month, version=version).first()
    if existing is not None:
        return existing
    started = time.perf_counter()
    outcomes_refresh()
    tables, context = pack_contents(month=month)
    built_at = timezone.now()
    xlsx = xlsx_sheets_bytes((table.slug, table.header, table.rows) for table in tables)
    context.update(tables=pdf_tables(tables), version=version, built_at=built_at, built_by=actor)
    pdf = pdf_bytes("documents/monthly_report.html", context)
    report = MonthlyReport(
        month=month, version=version, built_at=built_at, built_by=actor,
        xlsx_sha256=hashlib.sha256(xlsx).hexdigest(), pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )  # fmt: skip
    report.xlsx.save(report.file_name("xlsx"), ContentFile(xlsx), save=False)
    report.pdf.save(report.file_name("pdf"), ContentFile(pdf), save=False)
    report.seconds = round(time.perf_counter() - started, 2)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Another build of the same version won the race: keep its files, drop ours.
        report.xlsx.delete(save=False)
        report.pdf.delete(save=False)
        return MonthlyReport.objects.get(month=month, version=version)
    logger.info("Monthly report %s built by %s in %.1f s", report, actor or "the schedule", report.seconds)
    return report


def monthly_report_request(*, actor: User, month: date) -> int:
    """Queue a new version of `month`'s pack (after commit); returns the version it will be."""
    if not actor.is_programme_admin:
        raise ValidationError(_("Only programme admins build monthly reports."))
    month = check_month(month, timezone.localdate())
    latest = MonthlyReport.objects.filter(month=month).aggregate(v=Max("version"))["v"] or 0
    monthly_report_build_task.queue_on_commit([(month.isoformat(), latest + 1, actor.pk)])
    return latest + 1


def monthly_report_scheduled(*, today: date) -> MonthlyReport:
    """The schedule's build: last month's first version, once (a second run finds it built)."""
    return monthly_report_build(month=last_finished_month(today), version=1)

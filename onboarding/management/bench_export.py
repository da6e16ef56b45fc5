"""The export part of `manage.py bench`: every exporter as CSV and as XLSX through the list
page (`/exporters/?format=…`, as staff), timed, then again under tracemalloc for its peak.

Goals (issue 32): 100,000 exporters as XLSX in ≤ 10 s; as CSV in ≤ 2× the time PostgreSQL
takes to `COPY` the same columns out as CSV (on SQLite, which has no COPY, ≤ 10 s); each in
≤ 150 MB and in constant memory: the peak of the first 20,000 rows is printed beside the
whole table's. The seconds come from a plain run (tracemalloc slows Python several times),
with its CPU seconds beside them (the machine may be shared); the peak is Python's own
allocations during the traced run; `rss_growth_mb` is how far the process's peak resident
size rose over its size before the download (Linux only, else None).
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from django.db import connection

from .. import database
from ..models import Exporter, User
from ..reports.exports import EXPORTERS, export_paths, export_rows
from ..spreadsheets import csv_stream, xlsx_file
from . import demo

BUDGET_SECONDS = 10
BUDGET_COPY_RATIO = 2  # CSV export time over PostgreSQL's COPY of the same columns
BUDGET_MB = 150
SMALL_ROWS = 20_000  # the peak of this many rows beside the whole table's: it must not grow with rows
COPY_RUNS = 2  # COPY is timed twice and the faster kept: the first may read from disk
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _drain(response) -> int:
    """Read the download as a browser would, keeping nothing: its size in bytes."""
    # The test client closes a streamed response once it is read to the end; closing it here
    # as well would fire request_finished, which closes the database connection mid-transaction.
    return sum(len(piece) for piece in (response.streaming_content if response.streaming else [response.content]))


def _kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Make VmHWM (the peak resident size) start again from now (Linux ≥ 4.0)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _traced_peak_mb(download) -> float:
    """Python's peak allocation, in MB, while `download()` makes and reads a file."""
    tracemalloc.start()
    try:
        download()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 1024 / 1024, 1)


def export_once(client, kind: str) -> dict:
    url = f"/exporters/?format={kind}"
    before = _kib("VmRSS")
    peak_known = _reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    size = _drain(client.get(url, secure=True))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = _kib("VmHWM") if peak_known else None
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "bytes": size,
        "peak_mb": _traced_peak_mb(lambda: _drain(client.get(url, secure=True))),
        "rss_growth_mb": round((after - before) / 1024, 1) if (after and before) else None,
    }


def first_rows_peak(staff: User, kind: str, rows: int) -> float:
    """The traced peak of the same file cut to its first `rows` rows, made by the functions the
    page's download calls (export_rows, then csv_stream or xlsx_file; the response only reads
    the file in blocks): compared with the whole table's, it shows whether memory grows with
    the rows."""
    first = export_rows(Exporter.objects.visible_to(staff).for_list()[:rows], EXPORTERS)
    header = [column.label for column in EXPORTERS]

    def download() -> None:
        if kind == "csv":
            sum(len(piece) for piece in csv_stream(header, first))
            return
        text = [column.label for column in EXPORTERS if column.text]
        with xlsx_file(header, first, sheet="Exporters", text_columns=text) as workbook:
            while workbook.read(1 << 16):
                pass

    return _traced_peak_mb(download)


def copy_seconds(staff: User) -> dict | None:
    """PostgreSQL's own CSV of the export's columns (`COPY (SELECT …) TO STDOUT WITH CSV`), read
    through psycopg and thrown away: the floor the CSV export is measured against. None on
    another database."""
    if not database.can_copy():
        return None
    values = Exporter.objects.visible_to(staff).for_list().values_list(*export_paths(EXPORTERS))
    sql, params = values.query.sql_with_params()
    best, size = None, 0
    with connection.cursor() as cursor:
        for _run in range(COPY_RUNS):
            started, size = time.perf_counter(), 0
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", params) as copy:
                for block in copy:
                    size += len(block)
            seconds = time.perf_counter() - started
            best = seconds if best is None else min(best, seconds)
    return {"seconds": round(best, 3), "bytes": size}


def bench_exports(command, staff: User) -> dict:
    """Export every exporter as CSV and XLSX; print and return seconds, sizes and peak memory,
    and on PostgreSQL the CSV's ratio to COPY."""
    client = demo.signed_in_client(staff)
    rows = Exporter.objects.count()
    small = min(SMALL_ROWS, rows)
    copied = copy_seconds(staff)
    figures: dict = {
        "rows": rows,
        "budget_seconds": BUDGET_SECONDS,
        "budget_copy_ratio": BUDGET_COPY_RATIO,
        "budget_mb": BUDGET_MB,
        "copy": copied,
    }
    if copied is None:
        command.stdout.write("PostgreSQL COPY: skipped (not PostgreSQL; the CSV goal is then 10 s)")
    else:
        command.stdout.write(
            f"PostgreSQL COPY of the export's columns as CSV: {copied['seconds']} s, "
            f"{copied['bytes'] / 1024 / 1024:.1f} MB (faster of {COPY_RUNS})"
        )
    for kind in ("csv", "xlsx"):
        result = export_once(client, kind)
        result["peak_mb_first_rows"] = first_rows_peak(staff, kind, small)
        goal = f"{BUDGET_SECONDS} s"
        fast = result["seconds"] <= BUDGET_SECONDS
        versus = ""
        if kind == "csv" and copied:
            result["copy_ratio"] = round(result["seconds"] / copied["seconds"], 2) if copied["seconds"] else None
            goal = f"{BUDGET_COPY_RATIO}× COPY"
            fast = result["copy_ratio"] is not None and result["copy_ratio"] <= BUDGET_COPY_RATIO
            versus = f", {result['copy_ratio']}× COPY"
        within = fast and result["peak_mb"] <= BUDGET_MB
        figures[kind] = result | {"within": within}
        command.stdout.write(
            f"export of {rows:,} exporters as {kind.upper()}: {result['seconds']} s "
            f"({result['cpu_seconds']} s CPU){versus}, {result['bytes'] / 1024 / 1024:.1f} MB file, "
            f"peak {result['peak_mb']} MB ({small:,} rows: {result['peak_mb_first_rows']} MB; tracemalloc), "
            f"RSS +{result['rss_growth_mb']} MB — {'within' if within else 'OVER'} the {goal} / {BUDGET_MB} MB goal"
        )
    return figures

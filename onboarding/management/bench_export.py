"""The export part of `manage.py bench`: every exporter as CSV and as XLSX through the list
page (`/exporters/?format=…`, as staff), timed, then again under tracemalloc for its peak.

Goal (issue "exports of every list"): 100,000 exporters in ≤ 10 s and ≤ 150 MB each.
The seconds come from a plain run (tracemalloc slows Python several times); the peak is
Python's own allocations during the traced run; `rss_growth_mb` is how far the process's
peak resident size rose over its size before the download (Linux only, else None).
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from ..models import Exporter, User
from . import demo

BUDGET_SECONDS = 10
BUDGET_MB = 150
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


def export_once(client, kind: str) -> dict:
    url = f"/exporters/?format={kind}"
    before = _kib("VmRSS")
    peak_known = _reset_peak_rss()
    started = time.perf_counter()
    size = _drain(client.get(url, secure=True))
    seconds = time.perf_counter() - started
    after = _kib("VmHWM") if peak_known else None
    tracemalloc.start()
    try:
        _drain(client.get(url, secure=True))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "seconds": round(seconds, 2),
        "bytes": size,
        "peak_mb": round(peak / 1024 / 1024, 1),
        "rss_growth_mb": round((after - before) / 1024, 1) if (after and before) else None,
    }


def bench_exports(command, staff: User) -> dict:
    """Export every exporter as CSV and XLSX; print and return seconds and peak memory."""
    client = demo.signed_in_client(staff)
    rows = Exporter.objects.count()
    figures: dict = {"rows": rows, "budget_seconds": BUDGET_SECONDS, "budget_mb": BUDGET_MB}
    for kind in ("csv", "xlsx"):
        result = export_once(client, kind)
        figures[kind] = result
        within = result["seconds"] <= BUDGET_SECONDS and result["peak_mb"] <= BUDGET_MB
        command.stdout.write(
            f"export of {rows:,} exporters as {kind.upper()}: {result['seconds']} s, "
            f"{result['bytes'] / 1024 / 1024:.1f} MB file, peak {result['peak_mb']} MB (tracemalloc), "
            f"RSS +{result['rss_growth_mb']} MB — {'within' if within else 'OVER'} the "
            f"{BUDGET_SECONDS} s / {BUDGET_MB} MB goal"
        )
    return figures

"""How the suite is organised (hooks that conftest.py takes in):

- every test belongs to one **group** — unit, pages, API, contract, integration or browser —
  and the time spent per group is printed at the end of each run (and, with
  `PORTAL_TEST_TIMES=<file>`, appended to that file for `scripts/test.sh` to add up);
- `@pytest.mark.postgresql` is the one way to say a test needs PostgreSQL (row locks,
  triggers, the planner): skipped on another database, failed there when the test command's
  services are required (`PORTAL_REQUIRE_SERVICES`);
- `@pytest.mark.both_databases` marks a test that takes a side of a question asked of
  onboarding/database.py (COPY or bulk_create, an estimated count or an exact one…): the
  test command runs those again on SQLite, so the side PostgreSQL never takes is tested too;
- a test is marked **clock** when its module speaks of dates or the clock (see `CLOCK_WORDS`):
  the test command runs those a second time with the clock 400 days ahead, so a test that
  passes only near the day it was written cannot land. The rule reads the source, so a new
  test is covered without anyone remembering to mark it.

Run as `python -m onboarding.tests.suite FILE` it prints the per-group table of a whole
`make test` from the lines the runs appended to FILE.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

GROUPS = ("unit", "pages", "API", "contract", "integration", "browser")
# A module that names any of these can hold a date bomb: a fixed date, a period, a frozen or
# moved clock, "now" compared with something stored.
CLOCK_WORDS = re.compile(
    r"time_machine|timedelta|datetime|timezone\.now|\bdate\(|\bnow\b|\b(?:19|20)\d\d-\d\d|\b(?:19|20)\d\d, \d"
)


def group_of(item: pytest.Item) -> str:
    module = item.path.stem
    if item.get_closest_marker("browser"):
        return "browser"
    if module == "test_api_contract":
        return "contract"
    if item.get_closest_marker("integration"):
        return "integration"
    if module.startswith("test_api_"):
        return "API"
    if "client" in getattr(item, "fixturenames", ()) or "live_server" in getattr(item, "fixturenames", ()):
        return "pages"
    return "unit"


@cache
def _speaks_of_time(path: Path) -> bool:
    return bool(CLOCK_WORDS.search(path.read_text(encoding="utf-8")))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(GroupTimes(), "portal-group-times")
    if seconds := os.environ.get("PORTAL_CLOCK_AHEAD_SECONDS"):
        _check_the_clock_is_ahead(int(seconds))


def _check_the_clock_is_ahead(seconds: int) -> None:
    """The guard must not pass by accident: the run with the clock ahead stops at once unless
    this process's clock really is that far ahead of the true one (clock_ahead/sitecustomize.py)."""
    from datetime import datetime, timedelta

    from time_machine import escape_hatch

    ahead = datetime.now() - escape_hatch.datetime.datetime.now() if escape_hatch.is_travelling() else timedelta()
    if abs(ahead - timedelta(seconds=seconds)) > timedelta(hours=1):
        said = f"PORTAL_CLOCK_AHEAD_SECONDS={seconds}, but the clock is {ahead} ahead of the true one"
        pytest.exit(said, returncode=3)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.user_properties.append(("group", group_of(item)))
        if _speaks_of_time(item.path):
            item.add_marker(pytest.mark.clock)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgresql") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        message = f"needs PostgreSQL, not {connection.vendor}: run it under `make test`"
        if os.environ.get("PORTAL_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


class GroupTimes:
    """Tests and seconds (setup, call and teardown) per group, printed after the run."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.times: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        group = dict(report.user_properties).get("group")
        if group is None:
            return
        if report.when == "call" or (report.when == "setup" and report.skipped):
            self.times[group][0] += 1
        self.times[group][1] += report.duration

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.times:
            return
        wall = time.monotonic() - self.started
        phase = os.environ.get("PORTAL_TEST_PHASE", "pytest")
        terminalreporter.write_sep("-", f"time per group ({phase}, {wall:.0f} s of wall time)")
        for line in table({group: tuple(value) for group, value in self.times.items()}):
            terminalreporter.write_line(line)
        if log := os.environ.get("PORTAL_TEST_TIMES"):
            with open(log, "a", encoding="utf-8") as file:
                file.write(json.dumps({"phase": phase, "wall": wall, "groups": self.times}) + "\n")


def table(times: dict[str, tuple[int, float]]) -> list[str]:
    """Lines of tests and seconds (setup, call and teardown) per group."""
    lines = [f"{'group':<12} {'tests':>6} {'seconds':>9}"]
    for group in GROUPS:
        if group in times:
            count, seconds = times[group]
            lines.append(f"{group:<12} {count:>6} {seconds:>9.1f}")
    return lines


def main(path: str) -> None:
    """The whole test command's table: each run's wall time, then tests and seconds per group."""
    runs = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    total: dict[str, list] = defaultdict(lambda: [0, 0.0])
    print("== time per run (wall)")
    for run in runs:
        print(f"{run['phase']:<48} {run['wall']:>7.0f} s")
        if "again" in run["phase"] or "ahead" in run["phase"]:
            continue  # the repeats (clock ahead, SQLite) are listed, not added to the groups
        for group, (count, seconds) in run["groups"].items():
            total[group][0] += count
            total[group][1] += seconds
    print("== time per group, on real time (seconds of each test; the sessions ran side by side)")
    for line in table({group: tuple(value) for group, value in total.items()}):
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])

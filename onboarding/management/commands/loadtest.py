"""Drive the main pages of a running portal with a bounded load, side by side with Django
admin's exporter changelist (the load test of `make loadtest`; run it through
scripts/loadtest.sh, which seeds the data and serves it with gunicorn)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...models import Exporter
from ..loadtest import check_page, loadtest_pages, people, run_wrk, sign_in, table, with_ratios


class Command(BaseCommand):
    help = "Load-test the main pages of a running portal against Django admin's exporter changelist."

    def add_arguments(self, parser):
        parser.add_argument("--base", default="http://127.0.0.1:8000", help="The portal, on the loopback interface")
        parser.add_argument("--seconds", type=int, default=15, help="Load per page")
        parser.add_argument("--connections", type=int, default=8, help="Concurrent connections")
        parser.add_argument("--rounds", type=int, default=1, help="Times every page is driven")
        parser.add_argument("--json", dest="json_path", default=None, help="Also write the results here as JSON")

    def handle(self, *args, base, seconds, connections, rounds, json_path, **opts):
        if urlsplit(base).hostname not in ("127.0.0.1", "localhost"):
            raise CommandError("The load test only drives a portal on the loopback interface.")
        if not 1 <= connections <= 16 or not 1 <= seconds <= 120:
            raise CommandError("Keep it bounded: 1–16 connections, 1–120 s per page.")
        password = os.environ.get("LOADTEST_PASSWORD", "bench-only")
        try:
            staff, manager = people()
            sessions = {"staff": sign_in(base, staff, password), "startup": sign_in(base, manager, password)}
            pages = loadtest_pages(manager)
            for page in pages:
                check_page(sessions[page.who], page)
        except (RuntimeError, OSError) as error:
            raise CommandError(str(error)) from error
        outcomes = []
        for number in range(1, rounds + 1):
            for page in pages:
                outcome = run_wrk(sessions[page.who], page, seconds=seconds, connections=connections, threads=2)
                outcome.round = number
                outcomes.append(outcome)
                self.stdout.write(f"  {page.name}: {outcome.requests_per_s} req/s", ending="\n")
        with_ratios(outcomes)
        self.stdout.write("\n".join(table(outcomes)))
        if json_path:
            with open(json_path, "w") as fh:
                json.dump(
                    {
                        "when": timezone.now().isoformat(timespec="seconds"),
                        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
                        "exporters": Exporter.objects.count(),
                        "seconds_per_page": seconds,
                        "connections": connections,
                        "results": [asdict(o) for o in outcomes],
                    },
                    fh,
                    indent=2,
                )

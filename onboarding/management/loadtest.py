"""The load test's parts: which pages it drives, signing in over HTTP as a person would
(password, then the authenticator's code for an admin), and one bounded wrk run per page.

wrk (Debian's package) generates the load: it is a small C program, so on a 2-core
machine it takes little CPU from the gunicorn workers it measures, where a Python load
generator would compete with them for the same cores.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from ..models import Exporter, User
from . import demo

BASELINE = "admin exporter changelist"
# The honest ceiling: a signed-in page with the layout, the bell and no data (the load test's
# staff person has no notices). What a page costs beyond it is the page's own work.
FLOOR = "floor: notifications, none"

# Per thread counts of answers other than 200 (a redirect to the sign-in page is an error
# here), summed over wrk's threads in done(); latency percentiles in microseconds.
WRK_SCRIPT = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) not_ok = 0 end
response = function(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
done = function(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("not_ok") end
  local e = summary.errors
  io.write(string.format(
    'LOADTEST {"requests": %d, "duration_us": %d, "not_ok": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Page:
    name: str
    path: str
    who: str  # "staff" or "startup": whose session drives it


@dataclass
class Outcome:
    name: str
    path: str
    who: str
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    errors: int
    requests: int
    ratio: float = 0.0  # × the admin changelist
    floor_ratio: float = 0.0  # × the floor page
    round: int = 1


def people() -> tuple[User, User]:
    """The demo admin (who must pass the second factor) and the demo startup manager."""
    staff = User.objects.get(email="admin@example.com")
    manager = User.objects.get(email="manager@example.com")
    return staff, manager


def loadtest_pages(manager: User) -> list[Page]:
    """The main pages, the admin changelist and the floor page first: every ratio is to them,
    measured in the same run."""
    staff_exporter = Exporter.objects.filter(startup__isnull=False).order_by("pk").first()
    own = Exporter.objects.filter(startup=manager.startup).order_by("pk").first()
    return [
        Page(BASELINE, "/admin/onboarding/exporter/", "staff"),
        Page(FLOOR, "/notifications/", "staff"),
        Page("exporter list (staff)", "/exporters/", "staff"),
        Page("search 'shree' (staff)", "/exporters/?q=shree", "staff"),
        Page("dashboard (staff)", "/", "staff"),
        Page("exporter detail (staff)", f"/exporters/{staff_exporter.pk}/", "staff"),
        Page("review queue (staff)", "/reviews/", "staff"),
        Page("commission statement (staff)", "/commissions/", "staff"),
        Page("work log (staff)", "/activities/", "staff"),
        Page("distribution report (staff)", "/reports/", "staff"),
        Page("startup home (manager)", "/", "startup"),
        Page("exporter list (manager)", "/exporters/?mine=false", "startup"),
        Page("pipeline board (manager)", "/board/", "startup"),
        Page("exporter detail (manager)", f"/exporters/{own.pk}/", "startup"),
        Page("work log (manager)", "/activities/", "startup"),
    ]


@dataclass
class Session:
    """Cookies kept by hand: the production session cookie is Secure, and the loopback
    connection is plain HTTP behind a pretend TLS proxy (X-Forwarded-Proto: https)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return "https://" + urlsplit(self.base).netloc

    def headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"X-Forwarded-Proto": "https", "Cookie": cookie} if cookie else {"X-Forwarded-Proto": "https"}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = self.headers()
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers.get("Location", ""), text

    def post_form(self, path: str, fields: dict) -> tuple[int, str]:
        """GET the form for its CSRF token, then POST it with `fields`."""
        status, _location, text = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if status != 200 or not match:
            raise RuntimeError(f"GET {path} answered {status} without a form")
        status, location, _text = self.request("POST", path, {**fields, "csrfmiddlewaretoken": match[1]})
        return status, location


def sign_in(base: str, user: User, password: str) -> Session:
    """Sign in through the pages: the password form, then for an admin the code an
    authenticator app would show (computed from the device's key)."""
    session = Session(base)
    status, _location = session.post_form("/accounts/login/", {"username": user.email, "password": password})
    if status != 302:
        raise RuntimeError(f"Sign-in as {user.email} failed (answer {status}): wrong LOADTEST_PASSWORD?")
    if user.must_use_two_factor:
        code = demo.authenticator_code(demo.authenticator_for(user))
        status, _location = session.post_form("/account/two-factor/verify/", {"code": code})
        if status != 302:
            raise RuntimeError(f"The second factor for {user.email} was refused (answer {status})")
    return session


def check_page(session: Session, page: Page) -> None:
    """One request before the load: a page that does not answer 200 would measure an error page."""
    status, location, _text = session.request("GET", page.path)
    if status != 200:
        raise RuntimeError(f"{page.name} ({page.path}) answered {status} {location}".strip())


def run_wrk(session: Session, page: Page, *, seconds: int, connections: int, threads: int) -> Outcome:
    """`connections` keep-alive connections on the page for `seconds`, loopback only."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    header_args = [arg for k, v in session.headers().items() for arg in ("-H", f"{k}: {v}")]
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s"]
    command += ["-s", script.name, *header_args, session.base + page.path]
    try:
        run = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next(x for x in run.stdout.splitlines() if x.startswith("LOADTEST "))
    figures = json.loads(line.removeprefix("LOADTEST "))
    seconds_run = figures["duration_us"] / 1e6
    return Outcome(
        name=page.name,
        path=page.path,
        who=page.who,
        requests_per_s=round(figures["requests"] / seconds_run, 1) if seconds_run else 0.0,
        p50_ms=round(figures["p50_us"] / 1000, 1),
        p95_ms=round(figures["p95_us"] / 1000, 1),
        errors=figures["not_ok"] + figures["socket_errors"],
        requests=figures["requests"],
    )


def with_ratios(outcomes: list[Outcome]) -> list[Outcome]:
    """Each page's requests/s over the admin changelist's and over the floor page's, in the same round."""
    baselines = {o.round: o.requests_per_s for o in outcomes if o.name == BASELINE}
    floors = {o.round: o.requests_per_s for o in outcomes if o.name == FLOOR}
    for o in outcomes:
        base, floor = baselines.get(o.round), floors.get(o.round)
        o.ratio = round(o.requests_per_s / base, 2) if base else 0.0
        o.floor_ratio = round(o.requests_per_s / floor, 2) if floor else 0.0
    return outcomes


def table(outcomes: list[Outcome]) -> list[str]:
    heads = f"{'page':<32} {'round':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}"
    lines = [f"{heads} {'× admin':>8} {'× floor':>8}"]
    for o in outcomes:
        lines.append(
            f"{o.name:<32} {o.round:>5} {o.requests_per_s:>7.1f} {o.p50_ms:>7.1f} {o.p95_ms:>7.1f} "
            f"{o.errors:>6} {o.ratio:>8.2f} {o.floor_ratio:>8.2f}"
        )
    return lines

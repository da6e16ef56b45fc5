"""The live services integration tests run against: an SMTP sink on loopback that keeps what
it receives, a `celery worker` child process on the test database (conftest's fixtures), a
scripted SMTP server for the answers a sink never gives, and switches for the Redis and
PostgreSQL the test command started."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import psycopg
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from .concurrency import wait_until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """Receives mail on 127.0.0.1 and records each message *before* answering 250, as a real
    server does. `fail_next(n)` makes the next n deliveries fail with 451; `reject(address)`
    refuses an address for good (550); `slow(seconds)` waits that long between recording a
    message and answering (the window where a sender can die after the server accepted);
    `stop()`/`start()` take it off the port and back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.failures_left = 0
        self.rejected: set[str] = set()
        self.delay = 0.0
        self._lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rejected:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.failures_left:
                self.failures_left -= 1
                return "451 Temporary failure, try again later"
            self.messages.append(message_from_bytes(envelope.content))
            delay = self.delay
        if delay:
            await asyncio.sleep(delay)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.failures_left = 0
            self.rejected.clear()
            self.delay = 0.0

    def fail_next(self, count: int) -> None:
        with self._lock:
            self.failures_left = count

    def reject(self, address: str) -> None:
        self.rejected.add(address)

    def slow(self, seconds: float) -> None:
        with self._lock:
            self.delay = seconds

    def message_ids(self) -> list[str]:
        with self._lock:
            return [m["Message-ID"] for m in self.messages]

    def duplicates(self) -> int:
        """Messages received more than once (the same Message-ID), counted beyond the first."""
        return sum(n - 1 for n in Counter(self.message_ids()).values())

    def wait_for(self, count: int, timeout: float = 30) -> list[Message]:
        """Every message received, once there are at least `count`."""

        def received() -> list[Message]:
            with self._lock:
                return list(self.messages) if len(self.messages) >= count else []

        return wait_until(received, timeout=timeout, what=f"{count} emails (got {len(self.messages)})")


class ScriptedSmtp:
    """An SMTP server on 127.0.0.1 that answers from a script, to stage what a sink never
    does: `rcpt` is the answer to RCPT TO; `data` the answer to DATA (None: hang up at once);
    `after_body` the answer once the body is in (None: hang up without answering, the case
    where the sender cannot know whether the message was accepted). `bodies` keeps each body."""

    def __init__(self, *, rcpt: str = "250 OK", data: str | None = "354 Go ahead", after_body: str | None = "250 OK"):
        self.rcpt, self.data, self.after_body = rcpt, data, after_body
        self.bodies: list[bytes] = []
        script = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                script.converse(self.rfile, self.wfile)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def converse(self, rfile, wfile) -> None:
        def say(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        say("220 scripted ESMTP")
        while line := rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO", b"MAIL", b"RSET", b"NOOP"):
                say("250 OK")
            elif verb == b"RCPT":
                say(self.rcpt)
            elif verb == b"DATA":
                if self.data is None:
                    return
                say(self.data)
                body = []
                while (part := rfile.readline()) not in (b".\r\n", b""):
                    body.append(part)
                self.bodies.append(b"".join(body))
                if self.after_body is None:
                    return
                say(self.after_body)
            elif verb == b"QUIT":
                say("221 Bye")
                return
            else:
                say("500 Unknown command")

    def __enter__(self) -> ScriptedSmtp:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def portal_process_env(database: str) -> dict[str, str]:
    """The environment of a portal process a test starts (a worker, beat, a command): the test
    database, this process's key, and its temporary folders, never the work tree's var/."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{database}",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "PORTAL_VAR_DIR": str(settings.VAR_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


# What the test worker runs with: retries after 1, 1, 2 s; a send holds its row at most
# 6 s (its soft time limit is half that, against ~0.05 s for a send to the sink); a queued
# task not started within 3 s counts as lost. The production values are minutes.
OUTBOX_DRILL_SETTINGS = {"OUTBOX_RETRY_SCHEDULE": [1, 1, 2], "OUTBOX_CLAIM_TIMEOUT": 6, "OUTBOX_REQUEUE_AFTER": 3}


class CeleryWorker:
    """`celery -A portal worker` as a child process, pointed at the test database. It runs in
    its own process group, so `kill()` takes out the worker and its pool at once, like a
    machine that loses power; `start()` brings up a fresh one."""

    def __init__(self, *, database: str, redis_url: str, smtp_port: int) -> None:
        self.env = {
            **portal_process_env(database),
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "SITE_URL": "http://testserver",
            "DB_CONN_MAX_AGE": "0",
            # The outbox's schedule in seconds rather than minutes, so fault drills take seconds.
            **{
                name: ",".join(map(str, v)) if isinstance(v, list) else str(v)
                for name, v in OUTBOX_DRILL_SETTINGS.items()
            },
        }
        self.process: subprocess.Popen | None = None
        self.log_path = Path(os.environ.get("PORTAL_SERVICES_DIR", "/tmp")) / f"celery-{os.getpid()}.log"

    def start(self) -> None:
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ]
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.log_path.read_text()}")
            return " ready." in self.log_path.read_text()

        wait_until(ready, timeout=timeout, every=0.2, what="the celery worker starting")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes (its own process group): no shutdown at all.
        What it had taken from the broker stays unacknowledged until Redis's visibility timeout
        (an hour) puts it back: orphans, which `broker_idle` no longer waits for."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
            with _broker() as client:
                _orphans.update(client.hkeys("unacked"))
        self.log.close()


# --- Switches for the services the test command started (scripts/services.sh) ----------


_orphans: set[bytes] = set()  # deliveries of a killed worker (CeleryWorker.kill)


def _broker() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def broker_idle(task: str = "") -> bool:
    """Nothing more will come from the broker (of `task` only, if named): no task waits in a
    queue, and none was delivered and not yet acknowledged. Tasks are acknowledged when they end
    (acks_late), and kombu keeps a delivered one in its `unacked` hash until then, countdowns
    included."""
    with _broker() as client:
        queued = [m for key in client.scan_iter("celery*", _type="list") for m in client.lrange(key, 0, -1)]
        delivered = [m for tag, m in client.hgetall("unacked").items() if tag not in _orphans]
    if task:
        queued = [m for m in queued if json.loads(m)["headers"]["task"] == task]
        delivered = [m for m in delivered if json.loads(m)[0]["headers"]["task"] == task]
    return not queued and not delivered


def stop_redis() -> None:
    """Shut the suite's Redis down without saving: queued messages are lost, as in a crash."""
    port = os.environ["PORTAL_REDIS_PORT"]
    # Let the worker finish (and acknowledge) the summary recount the fixtures' changes queued:
    # kombu's Redis consumer dies on an outage that falls inside an acknowledgement
    # (AttributeError in _connparams), which a supervisor restarts in production but which
    # would take the suite's one worker down for every later test. Queued sends stay queued.
    recount = "onboarding.tasks.refresh_summary_task"
    wait_until(lambda: broker_idle(recount), timeout=30, what="the summary recount acknowledged")
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True, timeout=10)


def start_redis() -> None:
    """Start Redis again exactly as scripts/services.sh did (as postgres when root)."""
    port, directory = os.environ["PORTAL_REDIS_PORT"], os.environ["PORTAL_SERVICES_DIR"]
    run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    options = ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes"]
    files = ["--pidfile", f"{directory}/redis.pid", "--logfile", f"{directory}/redis.log", "--dir", directory]
    subprocess.run([*run_as, "redis-server", *options, *files], check=True, timeout=10)

    def pong() -> bool:
        return (
            subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True, text=True).stdout.strip() == "PONG"
        )

    wait_until(pong, timeout=10, every=0.1, what="Redis coming back")


def database_outage(seconds: float) -> None:
    """What a PostgreSQL restart looks like to the other processes, without restarting the
    server the rest of the suite runs on: every other connection to the test database is
    dropped and new ones are refused for `seconds`. This test's own connection stays."""
    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    # A database cannot close itself to connections: the switch is thrown from another one.
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'ALTER DATABASE "{db["NAME"]}" ALLOW_CONNECTIONS false')
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                    [db["NAME"], mine],
                )
                time.sleep(0.05)
        finally:
            admin.execute(f'ALTER DATABASE "{db["NAME"]}" ALLOW_CONNECTIONS true')


class ThrowawayPostgres:
    """A PostgreSQL cluster no test has touched, in its own temp folder on a free loopback port,
    run by the `postgres` user when the tests run as root (PostgreSQL refuses root): the fresh
    services a restore drill restores into. `url` names its empty `portal` database."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="portal-drill-"))
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = ""

    def _run(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, capture_output=True)

    def __enter__(self) -> ThrowawayPostgres:
        self.root.chmod(0o755)
        if self.run_as:
            shutil.chown(self.root, "postgres")
        data, port = self.root / "data", free_port()
        self._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.root / "log"), "-w", "-o", options, "start")
        self._run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc", "CREATE DATABASE portal")
        self.url = f"postgres://postgres@127.0.0.1:{port}/portal"
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run(
            [*self.run_as, "pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)

"""The live services integration tests run against: an SMTP sink on loopback that keeps what
it receives, a `celery worker` child process on the test database (conftest's fixtures), a
scripted SMTP server for the answers a sink never gives, and switches for the Redis and
PostgreSQL the test command started."""

from __future__ import annotations

import asyncio
import json
import os
import re
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

    def __init__(
        self, *, database: str, redis_url: str, smtp_port: int, name: str = "test", env: dict | None = None
    ) -> None:
        self.name = name
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
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.log_path = Path(os.environ.get("PORTAL_SERVICES_DIR", "/tmp")) / f"celery-{name}-{os.getpid()}.log"

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
            f"{self.name}-{os.getpid()}@%h",
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


def _broker(url: str = "") -> redis.Redis:
    return redis.Redis.from_url(url or os.environ["REDIS_URL"])


def broker_idle(task: str = "", *, url: str = "") -> bool:
    """Nothing more will come from the broker (of `task` only, if named): no task waits in a
    queue, and none was delivered and not yet acknowledged. Tasks are acknowledged when they end
    (acks_late), and kombu keeps a delivered one in its `unacked` hash until then, countdowns
    included. `url`: another broker than the test command's (the cluster drill's)."""
    with _broker(url) as client:
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


# --- The multi-node drill: gunicorn nodes behind nginx (test_integration_cluster.py) -------

DEPLOY = ROOT / "deploy"


def cluster_env(
    *, database: str, redis_url: str, smtp_port: int, site_url: str, storage: dict[str, str]
) -> dict[str, str]:
    """What every process of the drill's cluster runs with: production settings (no
    DJANGO_DEBUG, the test's key, only the loopback's host names), behind one proxy
    (TRUSTED_PROXY_COUNT=1), over plain HTTP on the loopback (no redirect to HTTPS), with its
    files in the bucket `storage` names (S3_BUCKET, S3_ENDPOINT_URL and the keys)."""
    env = {
        **portal_process_env(database),
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": site_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXY_COUNT": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        # Production's settings, static files served without `collectstatic` (see the module).
        "DJANGO_SETTINGS_MODULE": "onboarding.tests.cluster_settings",
        # Sessions and sign-in data are in PostgreSQL: a node keeps no connection open between
        # requests, so the test's table flush never waits on one.
        "DB_CONN_MAX_AGE": "0",
        **storage,
    }
    env.pop("DJANGO_DEBUG", None)
    return env


def own_folder(env: dict[str, str], folder: Path) -> dict[str, str]:
    """A process's own var folder and media root: nothing on disk is shared between processes."""
    folder.mkdir(parents=True, exist_ok=True)
    return {**env, "PORTAL_VAR_DIR": str(folder), "MEDIA_ROOT": str(folder / "media")}


class GunicornNode:
    """One web node: `gunicorn portal.wsgi` as a child process in its own process group, on a
    free loopback port, with its own var folder under `root`. `stop(signal.SIGTERM)` is a
    graceful shutdown (requests in progress finish); `stop(signal.SIGKILL)` takes the master and
    its workers down at once, like a machine losing power. `start()` again brings it back on
    the same port."""

    def __init__(self, name: str, *, env: dict[str, str], root: Path, workers: int = 2) -> None:
        self.name = name
        self.port = free_port()
        self.folder = root / name
        self.env = own_folder(env, self.folder)
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        args = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", self.address]
        # --preload: the app is imported once and forked, not once per worker (half the start).
        args += ["--workers", str(self.workers), "--preload", "--timeout", "60", "--graceful-timeout", "20"]
        args += ["--access-logfile", str(self.folder / "access.log")]
        self.log_path = self.folder / "gunicorn.log"
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_ready(self, timeout: float = 60) -> None:
        import requests

        def healthy() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log_path.read_text()}")
            try:
                # A worker's first request loads the URLs and templates: slow on a busy machine.
                return requests.get(f"{self.url}/healthz", timeout=20).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=timeout, every=0.2, what=f"node {self.name} answering /healthz")

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        if not self.running:
            return
        if how == signal.SIGKILL:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.send_signal(how)
        self.process.wait(timeout=30)


class CeleryBeat:
    """`celery -A portal beat` as a child process: the cluster's one scheduler, with the
    production schedule and its schedule file in its own folder."""

    def __init__(self, *, env: dict[str, str], root: Path) -> None:
        self.folder = root / "beat"
        self.env = own_folder(env, self.folder)
        self.log_path = self.folder / "beat.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"]
        args += ["--schedule", str(self.folder / "schedule")]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: "Starting..." in self.log_path.read_text(), every=0.2, what="celery beat starting")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def render(template: Path, values: dict[str, str]) -> str:
    """A deploy/ template with each @NAME@ replaced; a placeholder left over is an error."""
    text = template.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    if left := re.findall(r"@[A-Z_]+@", text):
        raise ValueError(f"{template.name}: no value for {', '.join(sorted(set(left)))}")
    return text


class Nginx:
    """Debian's nginx in front of the web nodes, run from deploy/nginx.conf (the production
    example) inside deploy/nginx-loopback.conf: a child process (`daemon off`) with its pid
    file, logs and temporary files in its own folder, on a free loopback port."""

    def __init__(self, *, root: Path) -> None:
        self.port = free_port()
        self.folder = root / "nginx"
        self.folder.mkdir(parents=True, exist_ok=True)
        # Started as root, its workers run as nobody: they must reach this folder.
        self.folder.chmod(0o755)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, nodes: list[str]) -> None:
        node_a, node_b = nodes
        site = {"NODE_A": node_a, "NODE_B": node_b, "LISTEN": f"127.0.0.1:{self.port}", "SERVER_NAME": "localhost"}
        folder = str(self.folder)
        (self.folder / "portal.conf").write_text(render(DEPLOY / "nginx.conf", site))
        (self.folder / "nginx.conf").write_text(render(DEPLOY / "nginx-loopback.conf", {"DIR": folder}))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        args = [nginx, "-p", folder, "-c", f"{folder}/nginx.conf", "-e", f"{folder}/error.log", "-g", "daemon off;"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        def listening() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{(self.folder / 'error.log').read_text()}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        wait_until(listening, timeout=20, every=0.1, what="nginx listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def access_log(self) -> list[dict]:
        """Each request nginx finished: when it started and ended (Unix time), its status, and
        the nodes it went to in turn (two when nginx moved it on)."""
        entries = []
        pattern = re.compile(r'^(\S+) (\S+) (\d+) "([^"]*)" "([^"]*)" "([^"]*)"$')
        for line in (self.folder / "access.log").read_text().splitlines():
            if match := pattern.match(line):
                ended, took, status, upstreams, statuses, request = match.groups()
                entries.append(
                    {
                        "started": float(ended) - float(took),
                        "ended": float(ended),
                        "status": int(status),
                        "nodes": [u.strip() for u in upstreams.replace(" : ", ", ").split(",") if u.strip()],
                        "node_statuses": statuses,
                        "request": request,
                    }
                )
        return entries


def http_session():
    """A `requests` session on the loopback that sends every cookie it was given, the portal's
    Secure ones included, over plain HTTP (production settings mark them Secure; the drill has
    no TLS), to every port of 127.0.0.1 alike: one sign-in holds on every node and through nginx."""
    import requests

    class LoopbackSession(requests.Session):
        def prepare_request(self, request):
            prepared = super().prepare_request(request)
            # requests copies the jar with the standard policy, which drops Secure cookies on HTTP.
            if self.cookies:
                prepared.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
            return prepared

    return LoopbackSession()


def form_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match[1]


def sign_in_over_http(base: str, email: str, password: str):
    """Sign in through the real form (CSRF token first), as a browser does; for a person
    without two-factor sign-in. Returns the signed-in `requests` session."""
    session = http_session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": form_token(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302:
        raise AssertionError(f"signing in as {email} answered {response.status_code}")
    return session


class Cluster:
    """The drill's whole cluster on the loopback: nginx, web nodes A and B, two Celery workers
    and one beat, each process with a var folder of its own under `root` (nothing shared on
    disk), all with production settings (`cluster_env`), on `database`, the broker `redis_url`,
    the SMTP sink `sink` and the bucket `storage` names. `stop()` stops whatever was started,
    also after a failed start."""

    def __init__(self, *, database: str, redis_url: str, sink: SmtpSink, storage: dict[str, str], root: Path) -> None:
        self.redis_url, self.sink = redis_url, sink
        self.nginx = Nginx(root=root)
        env = cluster_env(
            database=database, redis_url=redis_url, smtp_port=sink.port, site_url=self.nginx.url, storage=storage
        )
        self.env = env
        self.node_a = GunicornNode("node-a", env=env, root=root)
        self.node_b = GunicornNode("node-b", env=env, root=root)
        self.workers = [
            CeleryWorker(
                database=database,
                redis_url=redis_url,
                smtp_port=sink.port,
                name=f"cluster-worker-{n}",
                env=own_folder(env, root / f"worker-{n}"),
            )
            for n in (1, 2)
        ]
        self.beat = CeleryBeat(env=env, root=root)

    def start(self) -> None:
        self.node_a.start()
        self.node_b.start()
        self.nginx.start([self.node_a.address, self.node_b.address])
        for worker in self.workers:
            worker.start()
        self.beat.start()
        self.node_a.wait_until_ready()
        self.node_b.wait_until_ready()

    def stop(self) -> None:
        self.beat.stop()
        for worker in self.workers:
            if worker.process is not None:
                worker.stop()
        self.nginx.stop()
        self.node_a.stop()
        self.node_b.stop()

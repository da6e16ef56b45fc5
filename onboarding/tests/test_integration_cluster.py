"""The multi-node drill: the portal as a programme runs it, all on the loopback. nginx
(deploy/nginx.conf) in front of two gunicorn nodes with production settings, two Celery
workers and one beat, each process with a folder of its own (nothing shared on disk), on the
test command's PostgreSQL and Redis, moto's S3 server for the files, and an SMTP sink. A file uploaded through one node
opens through the other; a node going down under traffic loses no request; a reminder sweep
run by both workers sends each email once. The drill prints its numbers (`pytest -s`)."""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from time_machine import escape_hatch

from portal.celery import app as celery_app

from ..models import Activity, Exporter, OutboxMessage, User
from ..models.outbox import MessageKind, MessageStatus
from ..services.reminders import plan
from ..tasks import sweep_reminders_task
from .concurrency import wait_until
from .conftest import PASSWORD
from .factories import ExporterFactory, assign
from .live_services import Cluster, SmtpSink, broker_idle, form_token, http_session, sign_in_over_http
from .object_storage import KEYS, Bucket, new_bucket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The traffic while node A goes down: this many GET requests of /healthz (a query to the
# database and a call to the broker) through nginx, on this many connections at once (the
# most requests that can be in flight on node A when it stops). The session's reach across
# nodes is the file test's.
REQUESTS = 300
CONNECTIONS = 4


@pytest.fixture(scope="module")
def drill_bucket(s3_server) -> Bucket:
    """The cluster's bucket on the suite's S3 server (object_storage.py), for the whole module."""
    return new_bucket(s3_server, "portal-drill")


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, redis_url, drill_bucket, tmp_path_factory):
    """The whole cluster, started once for the module. Its broker is a Redis database of its
    own, so the suite's worker never takes the cluster's tasks, nor the cluster's the suite's."""
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    sink = SmtpSink()
    sink.start()
    storage = {
        "S3_BUCKET": drill_bucket.name,
        "S3_ENDPOINT_URL": drill_bucket.endpoint,
        "S3_REGION": KEYS["region_name"],
        "S3_ACCESS_KEY_ID": KEYS["access_key"],
        "S3_SECRET_ACCESS_KEY": KEYS["secret_key"],
    }
    cluster = Cluster(
        database=database,
        redis_url=redis_url.rsplit("/", 1)[0] + "/1",
        sink=sink,
        storage=storage,
        root=tmp_path_factory.mktemp("cluster"),
    )
    started = time.monotonic()
    try:
        cluster.start()
        print(f"\ncluster drill: nginx, 2 nodes, 2 workers and beat up in {time.monotonic() - started:.1f} s")
        yield cluster
    finally:
        cluster.stop()
        sink.stop()


def with_production_password(*users: User) -> None:
    """The nodes hash with Django's production hasher, not the tests' fast one."""
    for user in users:
        User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))


def test_a_file_uploaded_through_node_a_opens_byte_for_byte_through_node_b_and_nginx(
    cluster, drill_bucket, manager_a, manager_b, exporter_a
):
    with_production_password(manager_a, manager_b)
    content = b"%PDF-1.4\n" + secrets.token_bytes(200_000) + b"\n%%EOF\n"
    session = sign_in_over_http(cluster.node_a.url, manager_a.email, PASSWORD)
    form_url = f"{cluster.node_a.url}/exporters/{exporter_a.pk}/log/"
    page = session.get(form_url, timeout=10).text
    when = page.split('name="occurred_at" value="', 1)[1].split('"', 1)[0]
    response = session.post(
        form_url,
        data={
            "kind": "documents",
            "occurred_at": when,
            "note": "Drill upload",
            "csrfmiddlewaretoken": form_token(page),
        },
        files={"attachment": ("drill.pdf", content, "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    activity = Activity.objects.get(exporter=exporter_a, note="Drill upload")
    path = f"/files/work/{activity.pk}/"
    # In the bucket, and on no node's disk.
    assert drill_bucket.read(activity.attachment.name) == content
    assert not any(f.is_file() for node in (cluster.node_a, cluster.node_b) for f in (node.folder / "media").rglob("*"))
    # The same sign-in holds on every node: the session is in PostgreSQL.
    through_b = session.get(cluster.node_b.url + path, timeout=30)
    assert through_b.status_code == 200 and through_b.content == content
    for _ in range(4):  # nginx sends them to both nodes in turn
        through_nginx = session.get(cluster.nginx.url + path, timeout=30)
        assert through_nginx.status_code == 200 and through_nginx.content == content
    served_by = {
        entry["nodes"][-1] for entry in cluster.nginx.access_log() if entry["request"].startswith(f"GET {path}")
    }
    assert served_by == {cluster.node_a.address, cluster.node_b.address}
    # The other startup's manager never gets it, whichever node answers.
    adversary = sign_in_over_http(cluster.nginx.url, manager_b.email, PASSWORD)
    for base in (cluster.node_a.url, cluster.node_b.url, cluster.nginx.url):
        assert adversary.get(base + path, timeout=30).status_code == 404
    print(f"\ncluster drill: a {len(content):,}-byte file uploaded through node A, read whole through node B and nginx")


def test_a_reminder_sweep_run_by_both_workers_sends_each_email_once(
    cluster, startup_a, startup_b, manager_a, agent_a, manager_b, officer
):
    cluster.sink.clear()
    now = timezone.now()
    for startup, agent, days in [(startup_a, agent_a, 5), (startup_a, None, 30), (startup_b, None, 5)]:
        exporter = assign(ExporterFactory(), startup)
        Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=now - timedelta(days=days), agent=agent)
    kinds = [MessageKind.STALLED_DIGEST, MessageKind.ESCALATION]
    owed = plan(now, tuple(kinds))
    emails = dict(User.objects.filter(pk__in=[p.recipient_id for p in owed]).values_list("pk", "email"))
    expected = sorted(emails[p.recipient_id] for p in owed)
    assert set(expected) == {manager_a.email, agent_a.email, manager_b.email, officer.email}
    # Six sweeps at once on the cluster's broker: each worker takes some, and they overlap.
    sweeps = 6
    started = time.monotonic()
    with celery_app.connection_for_write(cluster.redis_url) as broker:
        for _ in range(sweeps):
            sweep_reminders_task.apply_async((kinds,), connection=broker)
    cluster.sink.wait_for(len(expected), timeout=60)
    wait_until(lambda: broker_idle(url=cluster.redis_url), timeout=60, what="every sweep and send run")
    reminders = OutboxMessage.objects.filter(kind__in=kinds)
    wait_until(
        lambda: not reminders.filter(status__in=[MessageStatus.PENDING, MessageStatus.SENDING]).exists(),
        timeout=60,
        what="every reminder settled",
    )
    took = time.monotonic() - started
    # Only the sweeps' reminders count: the cluster's beat keeps its production schedule and
    # may add a message of its own at the top of an hour. Each row's Message-ID is its own.
    rows = dict(reminders.values_list("pk", "recipient__email"))
    received = Counter(cluster.sink.message_ids())
    assert sorted(rows.values()) == expected
    assert [received[f"<reminder-{pk}@127.0.0.1>"] for pk in rows] == [1] * len(expected)
    assert cluster.sink.duplicates() == 0
    assert set(reminders.values_list("status", flat=True)) == {MessageStatus.SENT}
    ran = {w.name: w.log_path.read_text().count("sweep_reminders_task") for w in cluster.workers}
    assert all(ran.values()), f"a worker ran no sweep: {ran}"
    print(
        f"\ncluster drill: {sweeps} concurrent sweeps on 2 workers ({ran}) sent {len(rows)} emails "
        f"to {len(expected)} recipients, each once, in {took:.1f} s"
    )


def true_time() -> float:
    """The true Unix time, also in the run with the clock 400 days ahead: nginx, which is not a
    Python process, stamps its access log with it, and the drill compares the two."""
    return escape_hatch.time.time() if escape_hatch.is_travelling() else time.time()


class Traffic(threading.Thread):
    """`total` GET requests to `url` on `connections` connections at once, each result kept
    as (started, ended, status or error) in Unix time."""

    def __init__(self, session, url: str, *, total: int, connections: int) -> None:
        super().__init__(daemon=True)
        self.session, self.url, self.total, self.connections = session, url, total, connections
        self.results: list[tuple[float, float, int | str]] = []
        self._lock = threading.Lock()
        self._sent = 0

    def _take(self) -> bool:
        with self._lock:
            if self._sent >= self.total:
                return False
            self._sent += 1
            return True

    def _client(self) -> None:
        import requests

        while self._take():
            began = true_time()
            try:
                outcome: int | str = self.session.get(self.url, timeout=30).status_code
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with self._lock:
                self.results.append((began, true_time(), outcome))

    def run(self) -> None:
        clients = [threading.Thread(target=self._client) for _ in range(self.connections)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()

    def done(self) -> int:
        with self._lock:
            return len(self.results)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["graceful", "killed"])
def test_node_a_going_down_under_traffic_fails_no_request_beyond_those_in_flight(cluster, how):
    """SIGTERM is a deploy or a scale-down (gunicorn finishes what it started); SIGKILL to the
    node's process group is a machine that dies. Either way nginx moves a GET it could not
    finish on node A to node B, so even the requests in flight should not fail."""
    if not cluster.node_a.running:  # the other variant stopped it
        cluster.node_a.start()
        cluster.node_a.wait_until_ready()
    traffic = Traffic(http_session(), f"{cluster.nginx.url}/healthz", total=REQUESTS, connections=CONNECTIONS)
    began = true_time()
    traffic.start()
    wait_until(lambda: traffic.done() >= REQUESTS // 3, timeout=60, every=0.01, what="a third of the traffic")
    signalled = true_time()
    cluster.node_a.stop(how)
    gone = true_time()
    traffic.join(timeout=120)
    took = true_time() - began
    results = traffic.results
    failed = [r for r in results if r[2] != 200]
    since_signal = [r for r in results if r[0] > signalled]
    log = [e for e in cluster.nginx.access_log() if e["started"] >= began - 0.001 and "/healthz" in e["request"]]
    moved = [e for e in log if len(e["nodes"]) > 1]
    on_b = [e for e in log if e["started"] > signalled and e["nodes"][-1] == cluster.node_b.address]
    on_a_after = [e for e in log if e["started"] > gone + 0.01 and e["nodes"][-1] == cluster.node_a.address]
    slowest = max(ended - started for started, ended, _ in results)
    print(
        f"\ncluster drill ({how.name}): {len(results)} GET requests through nginx on {CONNECTIONS} connections "
        f"in {took:.1f} s; node A got {how.name} after {len(results) - len(since_signal)} and was gone "
        f"{gone - signalled:.2f} s later; failed {len(failed)}; moved to node B by nginx {len(moved)}; "
        f"{len(since_signal)} sent after the signal ({len(on_b)} answered by node B); slowest {slowest:.2f} s"
    )
    assert len(results) == REQUESTS
    assert len(failed) <= CONNECTIONS, failed
    # Only what was in flight on node A may fail: every request sent after the signal is answered.
    assert all(r[2] == 200 for r in since_signal)
    assert on_b and not on_a_after

"""A real S3-compatible server on loopback for the tests: moto's server mode, in a process of
its own, spoken to over HTTP by the same boto3 client production uses (no mock of the client).

`s3_server` starts it once per session; `bucket` gives a test a fresh, empty bucket and
`use_bucket` makes it the portal's default storage, as S3_BUCKET does in production.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import boto3
import pytest

from portal.storage import s3_storage

KEYS = {"access_key": "portal-test", "secret_key": "portal-test-secret", "region_name": "us-east-1"}
START_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's S3 server stopped at start (exit {process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto's S3 server did not answer on port {port} within {START_SECONDS} s")


@pytest.fixture(scope="session")
def s3_server() -> str:
    """The server's endpoint URL, e.g. http://127.0.0.1:43211."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: object  # boto3's S3 client, for looking inside the bucket

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def storage(self) -> dict:
        """The STORAGES entry that stores in this bucket (what S3_BUCKET and friends build)."""
        return s3_storage(self.name, endpoint_url=self.endpoint, **KEYS)


def new_bucket(endpoint: str, prefix: str = "portal-test") -> Bucket:
    """A new, empty bucket on the loopback server (the portal does not use it yet)."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
        region_name=KEYS["region_name"],
    )
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return Bucket(name=name, endpoint=endpoint, client=client)


@pytest.fixture
def bucket(s3_server) -> Bucket:
    """A fresh, empty bucket for this test."""
    return new_bucket(s3_server)


def store_in(settings, bucket: Bucket) -> None:
    """From now on (this test) the portal keeps its files in `bucket`."""
    settings.STORAGES = {**settings.STORAGES, "default": bucket.storage()}


@pytest.fixture
def use_bucket(settings, bucket) -> Bucket:
    """The portal keeps its files in a fresh bucket for this test, as with S3_BUCKET set."""
    store_in(settings, bucket)
    return bucket

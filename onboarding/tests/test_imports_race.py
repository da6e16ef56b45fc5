"""The same file imported twice at once from the command line: the import that commits
second writes nothing, says so in one line, exits non-zero and leaves no batch behind."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ..models import Exporter, ImportBatch
from ..services import imports
from .concurrency import wait_until
from .factories import ExporterFactory
from .importfiles import csv_bytes, good_rows
from .live_services import ROOT, portal_process_env

LOST = "Another import registered some of these exporters while this one ran; nothing was written."


def test_an_import_that_loses_the_race_exits_non_zero_and_leaves_no_batch(db, tmp_path, monkeypatch, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = good_rows(3)
    path = tmp_path / "council.csv"
    path.write_bytes(csv_bytes(rows))
    write = imports.write_report

    def other_import_commits_meanwhile(**kwargs):
        ExporterFactory(gstin=rows[1][1])  # registered after this import's last check
        return write(**kwargs)

    monkeypatch.setattr(imports, "write_report", other_import_commits_meanwhile)
    with pytest.raises(CommandError, match=LOST):
        call_command("import_exporters", str(path))
    assert not ImportBatch.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))  # what the batch stored went with it


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
def test_the_same_file_imported_twice_at_once_writes_once_and_the_loser_says_so(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    content = csv_bytes(good_rows(50))
    path = tmp_path / "council.csv"
    path.write_bytes(content)
    env = portal_process_env(connection.settings_dict["NAME"])
    winner_may_commit, winner_done = threading.Event(), threading.Event()

    def the_other_import() -> None:
        """The same file, imported by the services the page uses, holding its commit until
        the command is blocked behind it, past its own checks: the race, every time."""
        try:
            with transaction.atomic():
                batch = imports.import_batch_create(actor=None, name="council.csv", content=content)
                batch = imports.import_batch_validate(batch=batch, progress=False)
                imports.import_batch_commit(actor=None, batch=batch, progress=False)
                winner_may_commit.wait(timeout=60)
        finally:
            connection.close()
            winner_done.set()

    thread = threading.Thread(target=the_other_import)
    thread.start()
    loser = subprocess.Popen(
        [sys.executable, "manage.py", "import_exporters", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        database = connection.settings_dict["NAME"]
        wait_until(
            lambda: _a_backend_waits_for_a_lock(database), timeout=60, what="the second import reaching its write"
        )
    finally:
        winner_may_commit.set()
        winner_done.wait(timeout=60)
    out, err = loser.communicate(timeout=60)
    assert loser.returncode == 1
    assert err.strip() == f"CommandError: {LOST} Run the command again to update them.", err
    assert "Traceback" not in out + err
    assert Exporter.objects.count() == 50
    assert list(ImportBatch.objects.values_list("status", flat=True)) == ["done"]  # the winner's; no stale one


def _a_backend_waits_for_a_lock(database: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", [database]
        )
        return bool(cursor.fetchone()[0])

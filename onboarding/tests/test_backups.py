"""Backups you have restored: `manage.py backup` takes the database and every stored file, and
`manage.py restore_backup` puts them into fresh services, checked row by row and byte by byte.
The drill seeds the portal, backs it up, destroys the files, restores into a PostgreSQL cluster
and a storage no test has touched, and compares what it gets with what there was."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from ..backups import (
    _counted_models,
    _dump_name,
    _restore_file,
    _safe_path,
    backup_restore,
    backup_take,
    read_manifest,
)
from ..models import Exporter
from ..models.activities import ActivityKind
from ..services.progress import activity_log, stage_event_submit
from ..stored_files import stored_file_names
from .factories import ExporterFactory, assign, reached_if_contact, stage, upload
from .live_services import ROOT, ThrowawayPostgres, portal_process_env
from .object_storage import new_bucket, store_in


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def seed(agent, startup) -> None:
    """Exporters with the kinds of stored file the portal keeps: a work log's attachment, a
    claim's evidence and its checklist documents."""
    exporters = [assign(ExporterFactory(), startup, stage_code="contacted") for _ in range(3)]
    for number, exporter in enumerate(exporters):
        activity_log(
            actor=agent,
            exporter=exporter,
            kind=ActivityKind.CALL,
            outcome=reached_if_contact(ActivityKind.CALL),
            occurred_at=timezone.now() - timedelta(hours=1),
            note="Spoke to the owner",
            attachment=upload(f"call-notes-{number}.pdf", b"%PDF-1.4 notes " + bytes([number]) * 2000),
        )
    stage_event_submit(
        actor=agent,
        exporter=Exporter.objects.get(pk=exporters[0].pk),
        stage=stage("documents_collected"),
        evidence={"note": "All four", "evidence_file": upload("cover.pdf", b"%PDF-1.4 cover")},
        checklist={
            kind: upload(f"{kind}.pdf", f"%PDF-1.4 {kind}".encode())
            for kind in stage("documents_collected").required_documents
        },
    )


def digests(names: list[str], root: Path) -> dict[str, str]:
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in names}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_fresh_services_with_every_row_and_file(agent_a, startup_a, settings, tmp_path):
    seed(agent_a, startup_a)
    names = stored_file_names()
    assert len(names) == 3 + 1 + 4  # three attachments, the cover letter and four documents
    media = Path(settings.MEDIA_ROOT)
    before = digests(names, media)
    counts = {m._meta.db_table: m._default_manager.count() for m in _counted_models()}
    source = portal_process_env(connection.settings_dict["NAME"])

    taken = manage(source, "backup", "--to", str(tmp_path / "backups"))
    assert taken.returncode == 0, taken.stderr
    [folder] = (tmp_path / "backups").glob("portal-*")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"] == counts and manifest["missing"] == []
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == before

    for name in names:  # the disk is lost
        (media / name).unlink()

    with ThrowawayPostgres() as fresh:
        restored_media = tmp_path / "restored-media"
        target = {**source, "DATABASE_URL": fresh.url, "MEDIA_ROOT": str(restored_media)}
        restored = manage(target, "restore_backup", str(folder))
        assert restored.returncode == 0, restored.stderr
        assert "every count and checksum matches the backup" in restored.stdout
        # Checked here too, not only by the command: every table's rows, read straight from the
        # new cluster, and every file's bytes in the new storage.
        with psycopg.connect(fresh.url.replace("postgres://", "postgresql://")) as db:
            for table, count in counts.items():
                assert db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == count, table
        assert digests(names, restored_media) == before
        assert manage(target, "migrate", "--check").returncode == 0  # the schema is this release's

        again = manage(target, "restore_backup", str(folder))  # never over what is there
        assert again.returncode != 0 and "restore only into a new, empty database" in again.stderr


def test_a_restore_refuses_a_database_that_has_tables_and_changes_nothing(db, tmp_path):
    folder = tmp_path / "portal-x"
    (folder / "files").mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"format": 1, "dump": _dump_name(), "tables": {}, "files": {}, "missing": []})
    )
    exporters = Exporter.objects.count()
    with pytest.raises(ValidationError, match="restore only into a new, empty database"):
        backup_restore(folder=folder)
    assert Exporter.objects.count() == exporters


def test_a_folder_that_is_not_a_backup_or_is_of_another_database_is_refused(db, tmp_path):
    with pytest.raises(ValidationError, match="is not a portal backup"):
        read_manifest(tmp_path)
    other = "database.sqlite3" if _dump_name() == "database.dump" else "database.dump"
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "dump": other}))
    with pytest.raises(ValidationError, match=f"holds {other}, a dump of another kind of database"):
        read_manifest(tmp_path)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "evidence/../../x"])
def test_a_stored_name_cannot_write_outside_the_backup(tmp_path, name):
    with pytest.raises(ValidationError, match="outside the backup"):
        _safe_path(tmp_path, name)


@pytest.mark.both_databases  # pg_dump on PostgreSQL, SQLite's backup API on SQLite
@pytest.mark.django_db(transaction=True)  # pg_dump reads what is committed
def test_a_file_missing_from_storage_is_reported_and_the_backup_goes_on(agent_a, startup_a, tmp_path):
    seed(agent_a, startup_a)
    lost = stored_file_names()[0]
    default_storage.delete(lost)
    done = backup_take(destination=tmp_path)
    assert done.missing == [lost] and done.files == 7
    manifest = json.loads((done.folder / "manifest.json").read_text())
    assert lost not in manifest["files"] and manifest["missing"] == [lost]
    assert (done.folder / _dump_name()).stat().st_size > 0


@pytest.mark.django_db(transaction=True)
def test_a_backup_takes_the_files_from_the_bucket_and_a_restore_puts_them_into_an_empty_one(
    settings, use_bucket, agent_a, startup_a, tmp_path
):
    seed(agent_a, startup_a)
    names = stored_file_names()
    assert set(names) <= set(use_bucket.keys())
    done = backup_take(destination=tmp_path)
    assert (done.files, done.missing) == (len(names), [])

    empty = new_bucket(use_bucket.endpoint, "portal-restored")
    store_in(settings, empty)  # the bucket was lost: the files go into a new one
    manifest = read_manifest(done.folder)
    for name, expected in manifest["files"].items():
        _restore_file(done.folder, name, expected)
    assert empty.keys() == names
    assert {n: hashlib.sha256(empty.read(n)).hexdigest() for n in names} == {
        n: manifest["files"][n]["sha256"] for n in names
    }

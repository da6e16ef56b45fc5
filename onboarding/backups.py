"""Backups of the portal: the database and every file its rows point at, taken together, and
their restore into fresh services, checked against what was taken.

A backup is a folder:
    database.dump      PostgreSQL's custom format (pg_dump), or database.sqlite3 on SQLite
    files/<name>       each stored file under its storage name (evidence, attachments,
                       imports, packs), read through the configured storage (disk or bucket)
    manifest.json      when, which migration, the rows of every table and each file's size and
                       SHA-256: what a restore must give back

Consistent by construction: on PostgreSQL the table counts and the file list are read in one
REPEATABLE READ transaction whose snapshot pg_dump is given (`--snapshot`), so the dump, the
counts and the files are of one moment. Files are never overwritten in place (each upload gets
a new name), so a file read a moment later is the file that moment's row names.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from . import database
from .stored_files import CHUNK, sha256_of, stored_file_names

FORMAT = 1


@dataclass
class Outcome:
    """What a backup or restore did, for the command's report."""

    folder: Path
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _postgres_args() -> tuple[list[str], dict[str, str]]:
    """The connection arguments and environment pg_dump and pg_restore need, from the settings
    (the password goes in the environment, never on a command line `ps` shows)."""
    db = connection.settings_dict
    args = ["--dbname", db["NAME"], "--username", db["USER"] or "postgres"]
    if db["HOST"]:
        args += ["--host", db["HOST"]]
    if db["PORT"]:
        args += ["--port", str(db["PORT"])]
    env = {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db["PASSWORD"] else {})}
    return args, env


def _counted_models() -> list[type[models.Model]]:
    """Every concrete table the portal's apps keep (proxies and unmanaged models share or lack one)."""
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _table_counts() -> dict[str, int]:
    return {m._meta.db_table: m._default_manager.count() for m in _counted_models()}


def _safe_path(root: Path, name: str) -> Path:
    """`root/name` for a storage name, refusing one that would leave `root` (a name is data)."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValidationError(f"Refused a file name outside the backup: {name!r}.")
    return root.joinpath(*relative.parts)


def _copy_hashed(source, target) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        target.write(chunk)
    return size, digest.hexdigest()


def _dump_name() -> str:
    return "database.dump" if database.can_dump_a_snapshot() else "database.sqlite3"


def _dump_database(folder: Path, snapshot: str | None) -> None:
    if database.can_dump_a_snapshot():
        args, env = _postgres_args()
        snap = ["--snapshot", snapshot] if snapshot else []
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *snap, *args]
        subprocess.run([*command, "--file", str(folder / _dump_name())], env=env, check=True)
    else:
        # SQLite's online backup API, from a connection of its own: this transaction began
        # IMMEDIATE, so no other writer can commit while it copies, and it copies what the counts saw.
        with (
            closing(sqlite3.connect(connection.settings_dict["NAME"])) as source,
            closing(sqlite3.connect(folder / _dump_name())) as target,
        ):
            source.backup(target)


def backup_take(*, destination: Path) -> Outcome:
    """Write a backup folder under `destination` (database, files, manifest); returns what it took.
    Files a row names but the storage lacks are listed as missing, and the backup goes on."""
    started = time.monotonic()
    folder = destination / f"portal-{timezone.now():%Y%m%dT%H%M%SZ}"
    folder.mkdir(parents=True)
    with transaction.atomic():
        snapshot = None
        if database.can_dump_a_snapshot():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
        counts, names = _table_counts(), stored_file_names()
        _dump_database(folder, snapshot)  # while the snapshot's transaction is open
    outcome = Outcome(folder=folder, tables=len(counts), rows=sum(counts.values()))
    files = {}
    for name in names:
        target = _safe_path(folder / "files", name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with default_storage.open(name, "rb") as source, open(target, "wb") as out:
                size, sha256 = _copy_hashed(source, out)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            outcome.missing.append(name)
            continue
        files[name] = {"size": size, "sha256": sha256}
        outcome.files, outcome.bytes = outcome.files + 1, outcome.bytes + size
    manifest = {
        "format": FORMAT,
        "taken_at": timezone.now().isoformat(),
        "dump": _dump_name(),
        "migration": _last_migration(),
        "tables": counts,
        "files": files,
        "missing": outcome.missing,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    outcome.seconds = time.monotonic() - started
    return outcome


def _last_migration() -> str:
    recorder = MigrationRecorder(connection)
    last = recorder.migration_qs.filter(app="onboarding").order_by("-applied", "-id").first()
    return last.name if last else ""


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        raise ValidationError(f"{folder} is not a portal backup: {error}.") from error
    if manifest.get("format") != FORMAT:
        raise ValidationError(f"{folder} is a backup of format {manifest.get('format')}, not {FORMAT}.")
    if manifest.get("dump") != _dump_name():
        raise ValidationError(
            f"The backup holds {manifest.get('dump')}, a dump of another kind of database than this portal's."
        )
    return manifest


def _restore_database(folder: Path) -> None:
    if connection.introspection.table_names():
        raise ValidationError(
            "The database to restore into has tables: restore only into a new, empty database (nothing was changed)."
        )
    if database.can_dump_a_snapshot():
        args, env = _postgres_args()
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *args]
        subprocess.run([*command, str(folder / _dump_name())], env=env, check=True)
    else:
        connection.close()
        with (
            closing(sqlite3.connect(folder / _dump_name())) as source,
            closing(sqlite3.connect(connection.settings_dict["NAME"])) as target,
        ):
            source.backup(target)


def _restore_file(folder: Path, name: str, expected: dict) -> None:
    """Put one file back under its own name and check what the storage then holds."""
    if not default_storage.exists(name):
        with open(_safe_path(folder / "files", name), "rb") as source:
            saved = default_storage.save(name, File(source))
        if saved != name:  # the storage chose another name: the row would point at nothing
            raise ValidationError(f"The storage renamed {name} to {saved}.")
    if (default_storage.size(name), sha256_of(default_storage, name)) != (expected["size"], expected["sha256"]):
        raise ValidationError(f"{name} in the storage differs from the backup's copy.")


def backup_restore(*, folder: Path) -> Outcome:
    """Restore a backup folder into this portal's (empty) database and storage, then check every
    table's rows and every file's SHA-256 against the manifest; raises on any difference."""
    started = time.monotonic()
    manifest = read_manifest(folder)
    _restore_database(folder)
    outcome = Outcome(folder=folder, missing=list(manifest["missing"]))
    for name, expected in manifest["files"].items():
        _restore_file(folder, name, expected)
        outcome.files, outcome.bytes = outcome.files + 1, outcome.bytes + expected["size"]
    counts = _table_counts()
    differ = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if differ:
        raise ValidationError(f"Rows differ from the backup (table: backup, restored): {differ}.")
    outcome.tables, outcome.rows = len(counts), sum(counts.values())
    outcome.seconds = time.monotonic() - started
    return outcome


def backup_prune(*, destination: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backup folders under `destination`; returns those deleted."""
    folders = sorted(p for p in destination.glob("portal-*") if (p / "manifest.json").exists())
    doomed = folders[:-keep] if keep > 0 else []
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed

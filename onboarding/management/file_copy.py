"""Moving to object storage: copy every file the database names from local disk into the
configured storage (the bucket), and check each copy against its source.

Safe to run again: a file already in the bucket with the same size is left alone (with
`verify`, only when its SHA-256 matches too). A different file already stored under the
same name is never written over: it is reported, for a person to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.files.storage import Storage

from ..stored_files import sha256_of, stored_file_names


class Outcome(StrEnum):
    COPIED = "copied"
    TO_COPY = "to copy"  # a dry run's copied
    PRESENT = "already in storage"
    MISSING = "missing from disk"
    CONFLICT = "a different file already stored under its name"
    FAILED = "copy did not match its source"


@dataclass
class CopyReport:
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    names: dict[Outcome, list[str]] = field(default_factory=lambda: {outcome: [] for outcome in Outcome})
    bytes_copied: int = 0

    def add(self, name: str, outcome: Outcome, size: int = 0) -> None:
        self.counts[outcome] += 1
        self.names[outcome].append(name)
        if outcome in (Outcome.COPIED, Outcome.TO_COPY):
            self.bytes_copied += size


def file_copy(name: str, *, source: Storage, target: Storage, dry_run: bool = False, verify: bool = False) -> Outcome:
    """Copy one file from `source` to `target` under the same name, then read the copy back
    and compare its size and SHA-256 with the source's; a copy that differs is deleted."""
    if not source.exists(name):
        return Outcome.MISSING
    size = source.size(name)
    if target.exists(name):
        same = target.size(name) == size and (not verify or sha256_of(target, name) == sha256_of(source, name))
        return Outcome.PRESENT if same else Outcome.CONFLICT
    if dry_run:
        return Outcome.TO_COPY
    with source.open(name, "rb") as handle:
        saved = target.save(name, handle)
    if saved != name:  # taken between the check and the save: not the file the database names
        target.delete(saved)
        return Outcome.CONFLICT
    if target.size(name) != size or sha256_of(target, name) != sha256_of(source, name):
        target.delete(name)
        return Outcome.FAILED
    return Outcome.COPIED


def files_copy(*, source: Storage, target: Storage, dry_run: bool = False, verify: bool = False) -> CopyReport:
    """Copy every file the database names (see `file_copy`); the report counts each outcome."""
    report = CopyReport()
    for name in stored_file_names():
        outcome = file_copy(name, source=source, target=target, dry_run=dry_run, verify=verify)
        size = source.size(name) if outcome in (Outcome.COPIED, Outcome.TO_COPY) else 0
        report.add(name, outcome, size)
    return report

"""The SHA-256 of evidence files stored before claims kept one: filled in batches by the
`backfill_evidence_hashes` command. New files get theirs where they are stored (services/progress.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ..models import EvidenceDocument, StageEvent
from ..models.files import content_sha256

BATCH = 200
# Each kind of evidence row: its model, its file field and its digest field.
HASHED = {
    "claim": (StageEvent, "evidence_file", "evidence_sha256"),
    "document": (EvidenceDocument, "file", "sha256"),
}


@dataclass(frozen=True)
class HashBatch:
    last_pk: int | None  # None: nothing left after the given row
    hashed: int
    missing: int  # rows whose file is not in storage: left without a digest


@transaction.atomic
def evidence_hashes_fill(*, kind: str, after_pk: int = 0, batch: int = BATCH) -> HashBatch:
    """Fill the digest of the next `batch` rows of `kind` ("claim" or "document") after
    `after_pk` that have a file and no digest. Writes only empty digests: running it again
    changes nothing (a derived value, so no audit row)."""
    model, file_field, digest_field = HASHED[kind]
    rows = list(
        model.objects.filter(pk__gt=after_pk, **{digest_field: ""})
        .exclude(**{file_field: ""})
        .order_by("pk")
        .only("pk", file_field)[:batch]
    )
    hashed = missing = 0
    for row in rows:
        stored = getattr(row, file_field)
        try:
            with stored.open("rb"):
                digest = content_sha256(stored)
        except OSError:
            missing += 1
            continue
        hashed += model.objects.filter(pk=row.pk, **{digest_field: ""}).update(**{digest_field: digest})
    return HashBatch(last_pk=rows[-1].pk if rows else None, hashed=hashed, missing=missing)

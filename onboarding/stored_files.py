"""The files the portal keeps, as the database names them: what a backup takes and what the
move to object storage copies, with the one way both check a file's bytes."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.core.files.storage import Storage
from django.db import models

CHUNK = 1024 * 1024


def stored_file_names() -> list[str]:
    """The storage name of every file a row of any model points at, each once, sorted."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                rows = model._default_manager.exclude(**{field.name: ""}).exclude(**{f"{field.name}__isnull": True})
                names.update(rows.values_list(field.name, flat=True).distinct())
    return sorted(names)


def sha256_of(storage: Storage, name: str) -> str:
    """The SHA-256 of a stored file, read in chunks (files run to megabytes)."""
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

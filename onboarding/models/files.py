"""Uploaded files are private: stored under names nobody can guess, served only through
the download view (`views/files.py`), which checks who may see the record they belong to."""

from __future__ import annotations

import hashlib
import os
import uuid

from django.urls import reverse
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateUploadPath:
    """`upload_to` that names a file `<folder>/<random hex><extension>`: the original name,
    which says what the file is and whose, is kept on the record instead."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        extension = os.path.splitext(filename)[1].lower()[:10]
        return f"{self.folder}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, other) -> bool:
        return isinstance(other, PrivateUploadPath) and other.folder == self.folder


class PrivateFileMixin:
    """A record with one private upload: its name for people, its kind, its checked download."""

    file_field: str  # the FileField
    file_name_field: str  # the CharField keeping the uploaded file's original name
    download_route: str  # the URL name of the checked download view

    @property
    def file_name(self) -> str:
        upload = getattr(self, self.file_field)
        return (getattr(self, self.file_name_field) or os.path.basename(upload.name)) if upload else ""

    @property
    def file_kind(self) -> str:
        upload = getattr(self, self.file_field)
        return file_kind(upload.name) if upload else ""

    @property
    def download_url(self) -> str:
        """The protected download ("" without a file)."""
        return reverse(self.download_route, args=[self.pk]) if getattr(self, self.file_field) else ""


IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


def file_kind(stored_name: str) -> str:
    """ "image", "pdf" or "other": how a page offers the file (thumbnail, link, download)."""
    extension = os.path.splitext(stored_name)[1].lower()
    return "image" if extension in IMAGE_EXTENSIONS else "pdf" if extension == ".pdf" else "other"


def content_sha256(upload) -> str:
    """The SHA-256 (hex) of an uploaded or stored file's bytes, read in chunks and rewound;
    "" for anything that is not a file (no upload, or a stored name given as text)."""
    if not hasattr(upload, "chunks"):
        return ""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()

"""Uploaded files are private: stored under names nobody can guess, served only through
the download view (`views/files.py`), which checks who may see the record they belong to."""

from __future__ import annotations

import os
import uuid

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


def display_name(stored_name: str, original: str) -> str:
    """What a person sees for a file: its original name, else the stored one's last part."""
    return original or os.path.basename(stored_name)


IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


def file_kind(stored_name: str) -> str:
    """ "image", "pdf" or "other": how a page offers the file (thumbnail, link, download)."""
    extension = os.path.splitext(stored_name)[1].lower()
    return "image" if extension in IMAGE_EXTENSIONS else "pdf" if extension == ".pdf" else "other"

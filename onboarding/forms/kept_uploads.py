"""Uploads kept across a form's errors: a valid file is never silently dropped because another
field was wrong.

A browser cannot be told to choose a file again, so when a page form with a good upload comes
back with an error elsewhere (or a service refuses it), the upload is stored under
`kept-uploads/<random>/` in the private storage (the one evidence goes to, so any node of a
cluster reads it back) and the form carries a signed token for it in a hidden input
`<field>__kept`; the field says "Kept: catalogue.pdf (choose another to replace it)". Sent
again without a new file, the form takes the kept file back, checks it again like any upload
and deletes the stored copy. A token is signed (it cannot name another file) and lasts a day;
a copy left behind by a form never sent again is removed by `kept_uploads_sweep`.

Only HTML form posts (QueryDict data) keep files: an API client sends its file again.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta

from django import forms
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

FOLDER = "kept-uploads"
SUFFIX = "__kept"
SALT = "onboarding.forms.kept_uploads"
MAX_AGE = timedelta(days=1)
STAMP = "%Y%m%d%H%M%S"
MOST_BYTES = 10 * 1024 * 1024  # above every upload limit of the pages' forms (5 MB)


def kept_upload_store(upload) -> str:
    """Store an upload for the form's next sending; the signed token that names it."""
    upload.seek(0)
    safe = get_valid_filename(os.path.basename(upload.name)) or "file"
    # The folder's name starts with when it was kept, on the portal's clock: the sweep reads the
    # age there, not in the storage's modified time (another clock: the disk's, or the bucket's).
    stamp = f"{timezone.now().astimezone(UTC):{STAMP}}"
    path = default_storage.save(f"{FOLDER}/{stamp}-{secrets.token_urlsafe(16)}/{safe}", upload)
    upload.seek(0)
    kept = {"path": path, "name": upload.name, "type": getattr(upload, "content_type", "") or ""}
    return signing.dumps(kept, salt=SALT, compress=True)


def kept_upload_take(token: str) -> SimpleUploadedFile | None:
    """The upload a token names, taken out of storage (None for a bad, old or used token)."""
    try:
        kept = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    path = str(kept.get("path", ""))
    if not path.startswith(f"{FOLDER}/") or ".." in path:
        return None
    try:
        with default_storage.open(path, "rb") as handle:
            content = handle.read(MOST_BYTES + 1)
    except OSError:
        return None
    default_storage.delete(path)
    if len(content) > MOST_BYTES:
        return None
    return SimpleUploadedFile(kept.get("name") or "file", content, content_type=kept.get("type") or None)


def kept_uploads_sweep(*, now: datetime | None = None) -> int:
    """Delete kept copies older than a token lasts (forms never sent again); how many."""
    cutoff = (now or timezone.now()) - MAX_AGE
    removed = 0
    try:
        folders, _files = default_storage.listdir(FOLDER)
    except (FileNotFoundError, OSError):
        return 0
    for folder in folders:
        kept_at = _kept_at(folder)
        _dirs, names = default_storage.listdir(f"{FOLDER}/{folder}")
        for name in names:
            path = f"{FOLDER}/{folder}/{name}"
            if kept_at is None or kept_at < cutoff:  # a folder without its stamp is not one we made
                default_storage.delete(path)
                removed += 1
    return removed


def _kept_at(folder: str) -> datetime | None:
    """When a kept copy's folder was made, from its name (None for a name without the stamp)."""
    try:
        return datetime.strptime(folder.split("-", 1)[0], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


class KeepsUploads:
    """A form mixin: valid uploads survive the form's errors (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept: dict[str, list[str]] = {}
        if self.is_bound and isinstance(self.data, QueryDict):
            self._take_back_kept()

    def _file_fields(self) -> list[tuple[str, forms.FileField]]:
        return [(name, field) for name, field in self.fields.items() if isinstance(field, forms.FileField)]

    def _take_back_kept(self) -> None:
        files = None
        for name, _field in self._file_fields():
            key = self.add_prefix(name)
            if self.files.getlist(key):
                continue  # a file chosen now replaces the kept one
            uploads = [u for u in map(kept_upload_take, self.data.getlist(key + SUFFIX)) if u is not None]
            if uploads:
                files = files if files is not None else self.files.copy()
                files.setlist(key, uploads)
        if files is not None:
            self.files = files

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors:
            self.keep_uploads()

    def keep_uploads(self) -> None:
        """Store each valid upload of a form that failed (here or in a service) and say so by its field."""
        if self.kept or not isinstance(self.data, QueryDict):
            return
        data = None
        for name, field in self._file_fields():
            if name in self._errors:
                continue
            value = self.cleaned_data.get(name)
            uploads = [u for u in (value if isinstance(value, list) else [value]) if hasattr(u, "read")]
            if not uploads:
                continue
            data = data if data is not None else self.data.copy()
            data.setlist(self.add_prefix(name) + SUFFIX, [kept_upload_store(u) for u in uploads])
            self.kept[name] = [u.name for u in uploads]
            kept = _("Kept: %(names)s (choose another to replace it).") % {"names": ", ".join(self.kept[name])}
            field.help_text = f"{kept} {field.help_text}"
            self._bound_fields_cache.pop(name, None)  # cleaning built it with the old help text
        if data is None:
            return
        self.data = data
        for name in self.kept:
            # Added after cleaning, so never validated: it only carries the tokens to the page.
            self.fields[name + SUFFIX] = forms.CharField(required=False, widget=forms.MultipleHiddenInput)

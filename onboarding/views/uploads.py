"""A size limit on an upload request, applied before its body is parsed.

Django stores an uploaded file in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE and in a
temporary file beyond, so a 30 MB body would be written to disk in full before a form
could say it is too big. `SizeLimit`, put first among a request's upload handlers, stops
at the first file of a body larger than the limit: nothing of it is stored, the rest of
the body is skipped unread (Django drains it so the browser gets the page), and the view
shows the form's error. The proxy in front should stop such bodies earlier still
(`client_max_body_size`, see docs/operations.md#deployment-and-scaling).
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# Room for the multipart framing and the form's other fields around the file.
FORM_ROOM = 64 * 1024


def request_size(request: HttpRequest) -> int:
    """The body's declared length in bytes (0 when absent or malformed)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class SizeLimit(FileUploadHandler):
    """Refuses to store any file of a request whose body is longer than `max_bytes` + FORM_ROOM."""

    def __init__(self, request: HttpRequest, *, max_bytes: int):
        super().__init__(request)
        self.too_big = request_size(request) > max_bytes + FORM_ROOM

    def new_file(self, *args, **kwargs):
        if self.too_big:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # the next handler (memory, then a temporary file) stores it

    def file_complete(self, file_size):
        return None


def limit_uploads(request: HttpRequest, *, max_bytes: int) -> bool:
    """Put the size limit in front of the request's upload handlers; True when the body is too big.

    Must run before anything reads request.POST or request.FILES (see the CSRF note in views/imports.py).
    """
    handler = SizeLimit(request, max_bytes=max_bytes)
    request.upload_handlers.insert(0, handler)
    return handler.too_big

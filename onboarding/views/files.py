"""Protected downloads of uploaded files (`/files/…`), never the raw media folder.

A file is served only to someone who may see the record it belongs to (`visible_to`:
another startup's file is a 404, an anonymous visitor is sent to sign in). PDFs and
images open in the browser, sandboxed and never sniffed; anything else downloads. With
`PROTECTED_MEDIA_ACCEL` set, the web server (nginx's X-Accel-Redirect) sends the bytes.
"""

from __future__ import annotations

import mimetypes
import os

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header

from ..models import Activity, EvidenceDocument, StageEvent

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
# The file cannot run script, load anything, or be framed by another site.
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _serve(field, name: str):
    if not field:
        raise Http404("This record has no file.")
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    accel = settings.PROTECTED_MEDIA_ACCEL
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{field.name}"
    else:
        try:
            handle = field.open("rb")
        except FileNotFoundError as missing:
            raise Http404("The file is missing from storage.") from missing
        response = FileResponse(handle, content_type=content_type)
    extension = os.path.splitext(field.name)[1]
    filename = name if name.lower().endswith(extension) else f"{name}{extension}"
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_file(request, pk: int):
    event = get_object_or_404(StageEvent.objects.visible_to(request.user), pk=pk)
    return _serve(event.evidence_file, event.file_name)


@login_required
def activity_file(request, pk: int):
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    return _serve(activity.attachment, activity.file_name)


@login_required
def evidence_document_file(request, pk: int):
    document = get_object_or_404(EvidenceDocument.objects.visible_to(request.user), pk=pk)
    return _serve(document.file, document.file_name)

"""Protected downloads of uploaded files (`/files/…`), never the raw media folder.

A file is served only to someone who may see the record it belongs to (`visible_to`:
another startup's file is a 404, an anonymous visitor is sent to sign in). PDFs and
images open in the browser, sandboxed and never sniffed; anything else downloads. With
`PROTECTED_MEDIA_ACCEL` set, the web server (nginx's X-Accel-Redirect) sends the bytes.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404

from ..models import Activity, EvidenceDocument, StageEvent
from .downloads import private_file_response


@login_required
def evidence_file(request, pk: int):
    event = get_object_or_404(StageEvent.objects.visible_to(request.user), pk=pk)
    return private_file_response(event.evidence_file, event.file_name)


@login_required
def activity_file(request, pk: int):
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    return private_file_response(activity.attachment, activity.file_name)


@login_required
def evidence_document_file(request, pk: int):
    document = get_object_or_404(EvidenceDocument.objects.visible_to(request.user), pk=pk)
    return private_file_response(document.file, document.file_name)

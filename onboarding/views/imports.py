"""Exporter import pages: upload, preview with errors, commit, result.

The upload request only stores the file: a Celery worker reads and checks it, whatever its
size, and the batch page follows its progress. A large commit goes to Celery too."""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from ..forms.imports import template_csv, template_xlsx
from ..models import ImportBatch
from ..models.imports import DISCARDABLE, ImportRow, ImportStatus, RowOutcome
from ..pagination import IMPORT_SORTS, paginate, sort
from ..services.imports import (
    import_batch_claim,
    import_batch_commit,
    import_batch_discard,
    import_batch_queue_check,
    import_batch_store,
    import_errors_table,
)
from ..spreadsheets import ImportFileError, check_name, limits, too_big_message
from ..tasks import import_commit_task
from .access import staff_required
from .downloads import file_response, requested_format, stream_response
from .uploads import limit_uploads, request_size

logger = logging.getLogger(__name__)
ERRORS_SHOWN = 200
PREVIEW_ROWS = 50
RUNNING = (ImportStatus.UPLOADED, ImportStatus.READING, ImportStatus.VALIDATING, ImportStatus.COMMITTING)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Exporter file (.csv or .xlsx)"))
    all_or_nothing = forms.BooleanField(
        required=False, label=gettext_lazy("All or nothing: write no row at all if any row has an error")
    )
    replace_lists = forms.BooleanField(
        required=False,
        label=gettext_lazy("Replace lists: a row's products and target markets replace the exporter's own"),
        help_text=gettext_lazy("Unticked, they are added to what is registered (nothing is removed)."),
    )

    def __init__(self, *args, refused_size: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        # A body over the limit was never stored (views/uploads.py): say so, not "required".
        self.refused_size = refused_size
        if refused_size:
            self.fields["file"].required = False

    def clean_file(self):
        """Only what is cheap to know: the size and the name. The rows are read by the worker."""
        upload = self.cleaned_data["file"]
        max_bytes, _rows = limits()
        size = self.refused_size or (upload.size if upload else 0)
        if size > max_bytes:
            raise forms.ValidationError(too_big_message(size, max_bytes))
        if upload:
            try:
                check_name(upload.name)
            except ImportFileError as exc:
                raise forms.ValidationError(str(exc)) from exc
            if not upload.size:
                raise forms.ValidationError(_("The file is empty."))
        return upload


def async_threshold() -> int:
    return getattr(settings, "IMPORT_ASYNC_ROWS", 2000)


def _queue(task, *args) -> bool:
    """Queue a task now; False (and a log line) when the broker is unreachable."""
    return bool(task.publish([args]))


# The CSRF check reads the body, so it runs in `_upload`, once the size limit is in front
# of the upload handlers: a body far over the limit is then refused without being stored.
@csrf_exempt
@staff_required
def import_upload(request):
    max_bytes, _rows = limits()
    too_big = limit_uploads(request, max_bytes=max_bytes)
    return _upload(request, refused_size=request_size(request) if too_big else 0)


@csrf_protect
def _upload(request, *, refused_size: int):
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None, refused_size=refused_size)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = import_batch_store(
            actor=request.user,
            name=upload.name,
            file=upload,
            all_or_nothing=form.cleaned_data["all_or_nothing"],
            replace_lists=form.cleaned_data["replace_lists"],
        )
        # Queued once the batch is committed (the service's transaction has ended here).
        if import_batch_queue_check(batch=batch):
            messages.success(
                request, _("%(name)s is uploaded. It is being read and checked now.") % {"name": batch.file_name}
            )
        else:
            messages.warning(request, batch.message)
        return redirect("onboarding:exporter-import-detail", pk=batch.pk)
    # Batches are listed without their error lists, which can be large.
    batches, sorting = sort(request, ImportBatch.objects.select_related("uploaded_by").defer("errors"), IMPORT_SORTS)
    context = {"form": form, "page": paginate(request, batches, 20), "sorting": sorting}
    return render(request, "onboarding/importbatch_form.html", context)


@staff_required
def import_detail(request, pk: int):
    batch = get_object_or_404(ImportBatch.objects.select_related("uploaded_by", "discarded_by"), pk=pk)
    outcome = request.GET.get("outcome", "")
    rows = ImportRow.objects.filter(batch=batch)
    if outcome in RowOutcome.values:
        rows = rows.filter(outcome=outcome)
    else:
        outcome = ""  # anything else shows every row
    return render(
        request,
        "onboarding/importbatch_detail.html",
        {
            "batch": batch,
            "rows": paginate(request, rows, PREVIEW_ROWS),
            "outcome": outcome,
            "outcomes": RowOutcome.choices,
            "can_discard": batch.status in DISCARDABLE,
            "errors": batch.errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, len(batch.errors) - ERRORS_SHOWN),
            "running": batch.status in RUNNING,
            "status_display": status_display(batch),
            "progress_text": progress_text(batch),
            "can_commit": batch.status == ImportStatus.PREVIEW and not (batch.all_or_nothing and batch.error_count),
            "to_write": batch.new_count + batch.update_count,
        },
    )


def status_display(batch: ImportBatch) -> str:
    if batch.status == ImportStatus.COMMITTING and batch.total_rows and batch.processed_rows >= batch.total_rows:
        # Every row is checked; the write that follows is one transaction, with no count to show.
        return _("Writing the exporters")
    return batch.get_status_display()


def progress_text(batch: ImportBatch) -> str:
    """The rows read, then the rows checked (or written), in words."""
    if batch.status == ImportStatus.UPLOADED:
        return _("Waiting for the worker to read the file.")
    if batch.status == ImportStatus.READING:
        return _("%(done)s rows read so far.") % {"done": f"{batch.processed_rows:,}"}
    counts = {"done": f"{batch.processed_rows:,}", "total": f"{batch.total_rows:,}"}
    if batch.status == ImportStatus.VALIDATING:
        return _("%(done)s of %(total)s rows checked.") % counts
    return _("%(done)s of %(total)s rows done.") % counts


@staff_required
def import_status(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    return JsonResponse(
        {
            "status": batch.status,
            "status_display": status_display(batch),
            "processed_rows": batch.processed_rows,
            "total_rows": batch.total_rows,
            "percent": batch.progress_percent,
            "running": batch.status in RUNNING,
            "progress_text": progress_text(batch),
        }
    )


@staff_required
@require_POST
def import_commit(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    if batch.status != ImportStatus.PREVIEW:
        messages.info(request, _("This import is not waiting to be committed."))
    elif batch.total_rows > async_threshold():
        claimed = import_batch_claim(batch=batch, old=[ImportStatus.PREVIEW], new=ImportStatus.COMMITTING)
        if claimed and not _queue(import_commit_task, batch.pk, request.user.pk):
            import_batch_claim(batch=batch, old=[ImportStatus.COMMITTING], new=ImportStatus.PREVIEW)
            messages.error(request, _("The background worker cannot be reached: nothing was written. Try later."))
    else:
        import_batch_commit(actor=request.user, batch=batch)  # the page shows the result
    return redirect("onboarding:exporter-import-detail", pk=batch.pk)


@staff_required
@require_POST
def import_discard(request, pk: int):
    batch = get_object_or_404(ImportBatch, pk=pk)
    if import_batch_discard(actor=request.user, batch=batch):
        messages.success(
            request, _("The import of %(name)s is discarded: nothing of it was written.") % {"name": batch.file_name}
        )
    else:
        messages.info(request, _("This import is not waiting any more, so it cannot be discarded."))
    return redirect("onboarding:exporter-import-detail", pk=batch.pk)


@staff_required
def import_errors_csv(request, pk: int):
    """The rows with errors, every column as uploaded plus "errors": fix them and upload the file again."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    kind = requested_format(request) or "csv"
    if not batch.errors or not batch.file:
        raise Http404("This import has no rows with errors.")
    try:
        header, rows = import_errors_table(batch)
    except (ImportFileError, OSError) as exc:
        raise Http404("The uploaded file is no longer readable.") from exc
    return stream_response(kind, f"import-{batch.pk}-errors.{kind}", header, rows, sheet=_("Rows to fix"))


@staff_required
def import_template(request, kind: str):
    if kind not in ("csv", "xlsx"):
        raise Http404("Templates come as .csv or .xlsx.")
    content = template_xlsx() if kind == "xlsx" else template_csv()
    return file_response(content, kind, f"exporters-template.{kind}")

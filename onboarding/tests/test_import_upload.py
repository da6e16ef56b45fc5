"""The upload request only stores the file; a worker reads and checks it, with progress on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from ..models import Exporter, ImportBatch
from ..models.imports import ImportRow, ImportStatus
from ..services import imports
from ..spreadsheets import reading
from ..tasks import import_validate_task, recover_imports_task
from .importfiles import HEADER, csv_bytes, good_rows, xlsx_bytes


@pytest.fixture
def no_worker(monkeypatch):
    """The broker takes the task and no worker runs it yet: the batch stays as the request left it."""
    queued = []
    monkeypatch.setattr(import_validate_task, "apply_async", lambda args, **kwargs: queued.append(args))
    return queued


def upload(client, name: str, content: bytes, **options):
    return client.post(reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile(name, content), **options})


def refuse_to_read(*args, **kwargs):
    raise AssertionError("the upload request read the file")


def test_the_upload_request_stores_the_file_and_reads_none_of_it(client_for, officer, no_worker, monkeypatch):
    monkeypatch.setattr(reading, "read_records", refuse_to_read)
    monkeypatch.setattr(imports, "read_table", refuse_to_read)
    content = xlsx_bytes(good_rows(20))
    response = upload(client_for(officer), "council.xlsx", content, all_or_nothing="on")
    batch = ImportBatch.objects.get()
    assert response.url == reverse("onboarding:exporter-import-detail", args=[batch.pk])
    assert (batch.status, batch.total_rows, batch.uploaded_by, batch.all_or_nothing) == (
        ImportStatus.UPLOADED,
        0,
        officer,
        True,
    )
    with batch.file.open("rb") as stored:
        assert stored.read() == content
    assert no_worker == [(batch.pk,)]  # the read and check are the worker's


def test_the_upload_request_costs_the_same_queries_for_10_rows_and_5000(client_for, admin_user, no_worker):
    client = client_for(admin_user)
    counts = []
    for count in (10, 5000):
        with CaptureQueriesContext(connection) as queries:
            assert upload(client, f"rows-{count}.csv", csv_bytes(good_rows(count))).status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert set(ImportBatch.objects.values_list("status", flat=True)) == {ImportStatus.UPLOADED}


def test_the_page_of_a_file_waiting_to_be_read_polls_and_says_so(client_for, officer, no_worker):
    client = client_for(officer)
    response = upload(client, "council.csv", csv_bytes(good_rows(3)))
    page = client.get(response.url).content.decode()
    assert 'id="import-progress"' in page and "Reading the file" in page
    assert "Waiting for the worker to read the file." in page
    status = client.get(reverse("onboarding:exporter-import-status", args=[ImportBatch.objects.get().pk])).json()
    assert (status["status_display"], status["running"]) == ("Waiting to be read", True)


def test_a_big_file_is_read_then_checked_by_the_worker_with_progress(client_for, admin_user, no_worker, monkeypatch):
    monkeypatch.setattr(reading, "READ_PROGRESS_ROWS", 1000)
    seen = []
    progress = imports._progress

    def watched(batch, shown, also):
        report = progress(batch, shown, also)

        def spy(done):
            report(done)
            seen.append(ImportBatch.objects.values_list("status", "processed_rows", "total_rows").get(pk=batch.pk))

        return spy

    monkeypatch.setattr(imports, "_progress", watched)
    upload(client_for(admin_user), "state.csv", csv_bytes(good_rows(2500)))
    batch = ImportBatch.objects.get()
    import_validate_task.run(batch.pk)  # what the worker runs
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows, batch.new_count, batch.error_count) == (ImportStatus.PREVIEW, 2500, 2500, 0)
    assert seen[:2] == [(ImportStatus.READING, 1000, 0), (ImportStatus.READING, 2000, 0)]  # rows read
    assert (ImportStatus.VALIDATING, 500, 2500) in seen and seen[-1] == (ImportStatus.VALIDATING, 2500, 2500)
    assert ImportRow.objects.filter(batch=batch).count() == 2500 and not Exporter.objects.exists()


@pytest.mark.parametrize(
    ("content", "limits", "message"),
    [
        (
            csv_bytes(good_rows(6)),
            {"IMPORT_MAX_ROWS": 5},
            "The file has more than 5 rows: split it into smaller files.",
        ),
        (
            csv_bytes([["Kaveri " * 100, "27AAPFU0939F1ZV"]], header=HEADER[:2]),
            {},
            "Row 2, column “Company Name”: the cell holds 700 characters; this column needs at most 400.",
        ),
        (csv_bytes(good_rows(3)), {"IMPORT_MAX_STORED_BYTES": 100}, "already hold more than 1 KB of text"),
    ],
    ids=["too many rows", "too long a cell", "past the stored budget"],
)
def test_a_refused_file_ends_failed_with_its_message_and_no_rows(
    client_for, officer, settings, content, limits, message
):
    for name, value in limits.items():
        setattr(settings, name, value)
    client = client_for(officer)
    response = upload(client, "refused.csv", content)  # the worker runs at once (eager in tests)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED and message in batch.message
    assert not ImportRow.objects.exists() and not Exporter.objects.exists()
    page = client.get(response.url).content.decode()
    assert "This import did not go through." in page and message in page.replace("&amp;", "&")


def test_a_second_run_of_the_task_changes_nothing(client_for, admin_user):
    rows = good_rows(4)
    rows[2][1] = "27AAPFU0939F1ZO"
    upload(client_for(admin_user), "hub.xlsx", xlsx_bytes(rows))
    batch = ImportBatch.objects.get()
    fields = ("status", "total_rows", "processed_rows", "new_count", "error_count", "errors", "message")
    before = ImportBatch.objects.values(*fields).get()
    assert before["status"] == ImportStatus.PREVIEW and before["error_count"] == 1
    import_validate_task.run(batch.pk)
    assert ImportBatch.objects.values(*fields).get() == before
    assert ImportRow.objects.filter(batch=batch).count() == 4


def test_a_task_delivered_again_after_its_worker_died_mid_read_starts_over_to_the_same_result(client_for, admin_user):
    upload(client_for(admin_user), "hub.csv", csv_bytes(good_rows(4)))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.READING, processed_rows=2)
    import_validate_task.run(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.new_count, batch.processed_rows) == (ImportStatus.PREVIEW, 4, 4)
    assert ImportRow.objects.filter(batch=batch).count() == 4  # not 8


def test_the_recovery_queues_a_batch_whose_task_was_lost_and_leaves_a_fresh_one(client_for, admin_user, no_worker):
    client = client_for(admin_user)
    upload(client, "lost.csv", csv_bytes(good_rows(2)))
    upload(client, "fresh.csv", csv_bytes(good_rows(2, start=2_100_000)))
    lost, fresh = ImportBatch.objects.order_by("pk")
    ImportBatch.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - imports.STUCK_AFTER - timedelta(minutes=1)
    )
    no_worker.clear()
    assert recover_imports_task() == 1
    assert no_worker == [(lost.pk,)]  # the fresh one is left to its own task
    assert ImportBatch.objects.get(pk=fresh.pk).status == ImportStatus.UPLOADED


def test_the_recovered_batch_is_read_and_checked(client_for, admin_user, monkeypatch):
    monkeypatch.setattr(import_validate_task, "apply_async", lambda *args, **kwargs: None)
    upload(client_for(admin_user), "lost.csv", csv_bytes(good_rows(2)))
    monkeypatch.undo()
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - imports.STUCK_AFTER - timedelta(minutes=1)
    )
    assert recover_imports_task() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.new_count) == (ImportStatus.PREVIEW, 2)
    assert recover_imports_task() == 0  # read once


def test_a_startup_user_can_neither_upload_nor_see_a_stored_batch(client_for, officer, manager_b, no_worker):
    upload(client_for(officer), "council.csv", csv_bytes(good_rows(2)))
    batch = ImportBatch.objects.get()
    adversary = client_for(manager_b)
    assert upload(adversary, "mine.csv", csv_bytes(good_rows(1, start=2_200_000))).status_code == 403
    for name in ("exporter-import-detail", "exporter-import-status", "exporter-import-errors"):
        assert adversary.get(reverse(f"onboarding:{name}", args=[batch.pk])).status_code == 403
    assert ImportBatch.objects.count() == 1 and no_worker == [(batch.pk,)]


def test_the_worker_writes_a_files_messages_in_the_language_of_whoever_uploaded_it(client_for, officer, no_worker):
    officer.language = "hi"
    officer.save(update_fields=["language"])
    rows = good_rows(3)
    gstin = rows[1][1]
    rows[1][1] = gstin[:-1] + ("Y" if gstin[-1] != "Y" else "Z")  # a wrong check character
    upload(client_for(officer), "council.csv", csv_bytes(rows))
    batch = ImportBatch.objects.get()
    translation.activate("en-in")  # a worker's own language, whatever the request's was
    import_validate_task.run(batch.pk)  # what the worker runs
    [[_column, message]] = ImportRow.objects.get(batch=batch, number=3).messages
    assert any("\u0900" <= letter <= "\u097f" for letter in message), message  # Devanagari
    assert "check" not in message.lower(), message

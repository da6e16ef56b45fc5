"""A large import through Redis and a real Celery worker, with its progress visible while it runs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ..models import Exporter, ImportBatch
from ..services.imports import import_batch_files_delete
from .concurrency import wait_until
from .importfiles import csv_bytes, good_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def follow_until(client, batch, done: set[str], timeout: float = 120) -> list[dict]:
    """Poll the status endpoint as the page's script does; returns every status seen."""
    url = reverse("onboarding:exporter-import-status", args=[batch.pk])
    seen = []

    def finished() -> bool:
        seen.append(client.get(url).json())
        return seen[-1]["status"] in done

    wait_until(finished, timeout=timeout, what=f"the import reaching {sorted(done)}")
    return seen


def moving(seen: list[dict], status: str) -> list[int]:
    return [s["processed_rows"] for s in seen if s["status"] == status and 0 < s["processed_rows"] < s["total_rows"]]


def test_a_large_file_is_checked_and_imported_by_the_worker_with_live_progress(
    client, admin_user, celery_worker, settings
):
    settings.IMPORT_ASYNC_ROWS = 2000
    rows = good_rows(6000, start=3_000_000)
    rows[10][1] = "27AAPFU0939F1ZO"  # one bad row: the preview reports it, the commit skips it
    client.force_login(admin_user)
    response = client.post(
        reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("state-list.csv", csv_bytes(rows))}
    )
    batch = ImportBatch.objects.get()
    assert response.url == reverse("onboarding:exporter-import-detail", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert 'role="progressbar"' in page and "import-progress.js" in page

    seen = follow_until(client, batch, {"preview", "failed"})
    assert seen[-1]["status"] == "preview", ImportBatch.objects.get().message
    assert moving(seen, "validating"), seen  # progress was visible part-way
    batch.refresh_from_db()
    assert (batch.new_count, batch.error_count, batch.errors[0]["row"]) == (5999, 1, 12)
    assert not Exporter.objects.exists()

    client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]))
    seen = follow_until(client, batch, {"done", "failed"})
    assert seen[-1]["status"] == "done", ImportBatch.objects.get().message
    # Checking again takes moments (the preview's verdicts still stand); then the page says
    # the exporters are being written, while the write runs.
    assert "Writing the exporters" in {s["status_display"] for s in seen if s["status"] == "committing"}, seen
    assert Exporter.objects.count() == 5999
    assert "5999 added" in client.get(reverse("onboarding:exporter-import-detail", args=[batch.pk])).content.decode()
    batch.refresh_from_db()
    import_batch_files_delete(batch)

"""Imports that show what they change: every row with its outcome and, for an update, the
fields it changes (old → new); lists merged unless replaced; a waiting batch discarded; and
an errors file to correct and upload again."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from ..models import Exporter, ImportBatch
from ..models.imports import ImportRow, ImportStatus
from ..services.imports import import_batch_commit, import_batch_create, import_batch_discard, import_batch_validate
from .downloads import csv_lines
from .factories import ExporterFactory
from .importfiles import HEADER, csv_bytes, good_rows

PRODUCTS = HEADER.index("HS codes")


def preview(content: bytes, actor=None, **options) -> ImportBatch:
    batch = import_batch_create(actor=actor, name="rows.csv", content=content, **options)
    return import_batch_validate(batch=batch, progress=False)


def registered(row: list, **fields) -> Exporter:
    """The exporter of a file row, registered before the import with `fields`."""
    return ExporterFactory(legal_name=row[0], gstin=row[1], pan=row[1][2:12], state=row[1][:2], **fields)


@pytest.fixture
def known_row(db):
    row = good_rows(1)[0]
    row[PRODUCTS] = "5208"
    return row


def test_reimporting_fewer_products_keeps_the_registered_ones_by_default(admin_user, known_row):
    exporter = registered(known_row, products=["5208", "630710"])
    batch = preview(csv_bytes([known_row]))
    assert batch.rows.get().outcome != "update" or ["Products", "5208, 630710", "5208"] not in batch.rows.get().changes
    import_batch_commit(actor=admin_user, batch=batch, progress=False)
    exporter.refresh_from_db()
    assert exporter.products == ["5208", "630710"]


def test_new_products_are_added_to_the_registered_ones(admin_user, known_row):
    exporter = registered(known_row, products=["630710"])
    batch = preview(csv_bytes([known_row]))
    row = batch.rows.get()
    assert row.outcome == "update" and ["Products", "630710", "630710, 5208"] in row.changes
    import_batch_commit(actor=admin_user, batch=batch, progress=False)
    exporter.refresh_from_db()
    assert exporter.products == ["630710", "5208"]


def test_replace_lists_replaces_the_products_and_says_so_in_the_preview(admin_user, known_row):
    exporter = registered(known_row, products=["5208", "630710"])
    batch = preview(csv_bytes([known_row]), replace_lists=True)
    row = batch.rows.get()
    assert row.outcome == "update" and ["Products", "5208, 630710", "5208"] in row.changes
    import_batch_commit(actor=admin_user, batch=batch, progress=False)
    exporter.refresh_from_db()
    assert exporter.products == ["5208"]


def test_the_preview_lists_each_row_as_new_update_unchanged_or_error(db):
    rows = good_rows(4)
    update = registered(rows[1], district="Nashik", products=["0904", "090411"], preferred_language="hi")
    import_batch_commit(actor=None, batch=preview(csv_bytes([rows[2]])), progress=False)  # registered as in the file
    rows[3][1] = "NOT-A-GSTIN"
    batch = preview(csv_bytes(rows))
    outcomes = dict(batch.rows.values_list("number", "outcome"))
    assert outcomes == {2: "new", 3: "update", 4: "unchanged", 5: "error"}
    changed = batch.rows.get(number=3).changes
    assert ["District", "Nashik", "Pune"] in changed
    assert all(label != "Products" for label, _old, _new in changed)
    assert batch.rows.get(number=5).messages[0][0] == "GST No"
    assert Exporter.objects.count() == 2  # the preview wrote nothing
    assert Exporter.objects.get(pk=update.pk).district == "Nashik"


def test_the_page_filters_the_rows_by_outcome_and_ignores_unknown_ones(client_for, officer):
    rows = good_rows(3)
    registered(rows[0], district="Nashik", products=["0904", "090411"], preferred_language="hi")
    rows[2][1] = "BAD"
    batch = preview(csv_bytes(rows), actor=officer)
    client = client_for(officer)
    url = reverse("onboarding:exporter-import-detail", args=[batch.pk])
    page = client.get(url, {"outcome": "update"})
    assert [r.number for r in page.context["rows"]] == [2]
    html = page.content.decode()
    assert "Nashik" in html and "→" in html and "<ins>Pune</ins>" in html
    assert [r.number for r in client.get(url, {"outcome": "error"}).context["rows"]] == [4]
    everything = client.get(url, {"outcome": "'; drop table"})
    assert everything.status_code == 200 and [r.number for r in everything.context["rows"]] == [2, 3, 4]


def test_the_preview_page_takes_the_same_queries_for_few_or_many_rows(
    client_for, officer, django_assert_max_num_queries
):
    counts = []
    client = client_for(officer)
    for size in (3, 40):
        batch = preview(csv_bytes(good_rows(size, start=3_000_000 + size * 100)), actor=officer)
        with django_assert_max_num_queries(12) as captured:
            client.get(reverse("onboarding:exporter-import-detail", args=[batch.pk]))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_a_waiting_batch_is_discarded_from_its_page_and_cannot_be_committed(client_for, officer):
    batch = preview(csv_bytes(good_rows(2)), actor=officer)
    client = client_for(officer)
    response = client.post(reverse("onboarding:exporter-import-discard", args=[batch.pk]), follow=True)
    assert "is discarded: nothing of it was written" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.discarded_by) == (ImportStatus.DISCARDED, officer) and batch.discarded_at
    response = client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]), follow=True)
    assert "not waiting to be committed" in response.content.decode()
    assert import_batch_commit(actor=officer, batch=batch, progress=False).status == ImportStatus.DISCARDED
    assert not Exporter.objects.exists()


def test_a_committed_batch_cannot_be_discarded(client_for, officer):
    batch = preview(csv_bytes(good_rows(1)), actor=officer)
    import_batch_commit(actor=officer, batch=batch, progress=False)
    assert import_batch_discard(actor=officer, batch=batch) is False
    response = client_for(officer).post(reverse("onboarding:exporter-import-discard", args=[batch.pk]), follow=True)
    assert "cannot be discarded" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE and Exporter.objects.count() == 1


def test_startup_users_cannot_discard_an_import(client_for, officer, manager_a):
    batch = preview(csv_bytes(good_rows(1)), actor=officer)
    response = client_for(manager_a).post(reverse("onboarding:exporter-import-discard", args=[batch.pk]))
    assert response.status_code in (403, 404)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW


def test_the_errors_file_can_be_corrected_and_uploaded_again(client_for, officer):
    rows = good_rows(3)
    good_gstin = rows[1][1]
    rows[1][1] = good_gstin[:-1]  # one character short
    rows[2][HEADER.index("PIN")] = "12"
    client = client_for(officer)
    client.post(reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("hub.csv", csv_bytes(rows))})
    batch = ImportBatch.objects.get()
    client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]))
    assert Exporter.objects.count() == 1
    lines = csv_lines(client.get(reverse("onboarding:exporter-import-errors", args=[batch.pk])))
    header, *broken = lines
    assert header == [*HEADER, "errors"] and len(broken) == 2
    assert broken[0][:-1] == [str(cell) for cell in rows[1]]
    # A person fixes the cells the errors name and uploads the same file again.
    broken[0][header.index("GST No")] = good_gstin
    broken[1][header.index("PIN")] = "411001"
    out = io.StringIO()
    csv.writer(out).writerows([header, *broken])
    client.post(
        reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("fixed.csv", out.getvalue().encode())}
    )
    fixed = ImportBatch.objects.latest("pk")
    assert (fixed.new_count, fixed.error_count) == (2, 0), fixed.errors
    client.post(reverse("onboarding:exporter-import-commit", args=[fixed.pk]))
    assert Exporter.objects.count() == 3 and Exporter.objects.filter(gstin=good_gstin).exists()


def test_the_errors_file_downloads_as_xlsx_too_and_a_batch_without_errors_has_none(client_for, officer):
    rows = good_rows(2)
    rows[0][1] = "BAD"
    batch = preview(csv_bytes(rows), actor=officer)
    client = client_for(officer)
    response = client.get(reverse("onboarding:exporter-import-errors", args=[batch.pk]), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    clean = preview(csv_bytes(good_rows(1, start=4_000_000)), actor=officer)
    assert client.get(reverse("onboarding:exporter-import-errors", args=[clean.pk])).status_code == 404
    assert (
        client.get(reverse("onboarding:exporter-import-errors", args=[batch.pk]), {"format": "ods"}).status_code == 404
    )


def test_validating_again_replaces_the_preview_rows(db):
    batch = import_batch_create(actor=None, name="rows.csv", content=csv_bytes(good_rows(2)))
    batch = import_batch_validate(batch=batch, progress=False)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.VALIDATING)  # a task delivered again
    batch.refresh_from_db()
    import_batch_validate(batch=batch, progress=False)
    assert ImportRow.objects.filter(batch=batch).count() == 2


def test_the_command_merges_lists_unless_told_to_replace_them(tmp_path, known_row):
    exporter = registered(known_row, products=["5208", "630710"])
    path = tmp_path / "again.csv"
    path.write_bytes(csv_bytes([known_row]))
    call_command("import_exporters", str(path))
    exporter.refresh_from_db()
    assert exporter.products == ["5208", "630710"]
    call_command("import_exporters", str(path), "--replace-lists")
    exporter.refresh_from_db()
    assert exporter.products == ["5208"]

"""The importer's bounds: columns, declared sheet sizes, unpacked size, upload bodies and memory."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from ..management import demo
from ..management.bench_import import HOSTILE_BUDGET_MB, bench_import_memory, import_peak, wide_xlsx
from ..models import Exporter, ImportBatch
from ..models.imports import ImportStatus
from ..spreadsheets import ImportFileError, read_records
from .importfiles import HEADER, csv_bytes, good_rows, xlsx_bytes

MB = 1024 * 1024


def peak_mb(function, *args) -> tuple[float, object]:
    tracemalloc.start()
    try:
        try:
            outcome = function(*args)
        except ImportFileError as exc:
            outcome = exc
        return tracemalloc.get_traced_memory()[1] / MB, outcome
    finally:
        tracemalloc.stop()


def test_the_hostile_workbook_is_a_few_kb_claiming_16384_columns_by_10000_rows():
    content = wide_xlsx()
    assert len(content) < 8 * 1024
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:XFD10000"/>' in sheet


def test_a_workbook_declaring_16384_columns_is_refused_before_any_row_is_read():
    peak, outcome = peak_mb(read_records, wide_xlsx(), "wide.xlsx")
    assert isinstance(outcome, ImportFileError)
    assert "The first sheet is 16,384 columns wide; an exporter file may use at most 60 columns" in str(outcome)
    assert peak < 10  # reading it naively held 1.3 GB


def test_a_workbook_without_a_dimension_is_read_at_most_61_cells_wide():
    """With no declared size openpyxl sizes each row by its last cell: a cell in column XFD
    on every row would make 16,384-wide rows. The reader asks for 61 columns at most."""
    peak, (kind, records) = peak_mb(read_records, wide_xlsx(declared_columns=0, far_cell=True), "far.xlsx")
    assert kind == "xlsx" and len(records) == 10_000
    assert max(len(record) for _number, record in records) == 2
    assert peak < 20


def test_the_importer_checks_the_hostile_workbook_well_under_its_memory_budget(db, admin_user):
    figure = import_peak(staff=admin_user, name="wide.xlsx", content=wide_xlsx())
    assert figure["status"] == ImportStatus.FAILED
    assert "16,384 columns wide" in figure["message"]
    assert figure["peak_mb"] < HOSTILE_BUDGET_MB
    assert not ImportBatch.objects.exists()  # measured in a transaction rolled back


def test_bench_reports_the_importers_peak_memory_on_a_large_and_a_hostile_file(db, admin_user, capsys):
    class Command:
        stdout = io.StringIO()

    figures = bench_import_memory(Command, admin_user, 50)
    assert figures["large_xlsx"]["rows"] == 50 and figures["large_xlsx"]["status"] == ImportStatus.PREVIEW
    assert figures["large_xlsx"]["peak_mb"] > 0
    assert figures["hostile_xlsx"]["peak_mb"] < figures["hostile_xlsx"]["budget_mb"] == 200
    printed = Command.stdout.getvalue()
    assert "import memory, large_xlsx" in printed and "import memory, hostile_xlsx" in printed
    assert not Exporter.objects.exists()


def test_a_sheet_declaring_more_columns_than_the_limit_is_refused(settings):
    settings.IMPORT_MAX_COLUMNS = 11
    rows = good_rows(2)
    rows[0] += ["", "", "", "a note in column L"]
    with pytest.raises(ImportFileError, match=r"The first sheet is 12 columns wide; .* at most 11 columns"):
        read_records(xlsx_bytes(rows), "wide.xlsx")


def test_a_csv_row_with_data_past_the_column_limit_is_refused_with_its_row_number():
    rows = good_rows(3)
    rows[1] += [""] * 60 + ["stray"]
    with pytest.raises(ImportFileError, match=r"Row 3 has data past column BH; .* at most 60 columns"):
        read_records(csv_bytes(rows), "wide.csv")


def test_trailing_empty_cells_do_not_count_as_columns():
    """Excel's CSV exports often pad rows with separators: thousands of empty cells are dropped."""
    rows = [row + [""] * 5000 for row in good_rows(3)]
    _kind, records = read_records(csv_bytes(rows, HEADER + [""] * 5000), "padded.csv")
    assert [len(record) for _number, record in records] == [len(HEADER)] * 4


def test_a_workbook_that_unpacks_to_hundreds_of_mb_is_refused_from_its_directory(monkeypatch):
    monkeypatch.setattr("onboarding.spreadsheets.reading.MAX_UNZIPPED_BYTES", 64 * 1024)
    workbook = Workbook()
    for row in good_rows(2000):
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ImportFileError, match=r"This workbook unpacks to 9.. KB, far more than exporter rows need"):
        read_records(out.getvalue(), "bomb.xlsx")


# --- Upload bodies ---------------------------------------------------------------------


@pytest.fixture
def stored_chunks(monkeypatch):
    """Counts the chunks Django's own upload handlers store (in memory or in a temporary file)."""
    chunks = []
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler.receive_data_chunk

        def spy(self, raw_data, start, original=original):
            chunks.append(len(raw_data))
            return original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", spy)
    return chunks


def test_a_30_mb_upload_is_refused_with_a_form_error_and_never_stored(client_for, admin_user, stored_chunks):
    upload = SimpleUploadedFile("huge.csv", b"x" * (30 * MB))
    response = client_for(admin_user).post(reverse("onboarding:exporter-import"), {"file": upload})
    assert response.status_code == 200
    assert "The file is 30.0 MB; the limit is 10.0 MB. Split it into smaller files." in response.content.decode()
    assert stored_chunks == []
    assert not ImportBatch.objects.exists()


def test_a_file_just_over_the_limit_is_refused_by_its_size(client_for, admin_user, settings):
    settings.IMPORT_MAX_BYTES = 100 * 1024
    upload = SimpleUploadedFile("big.csv", b"x" * (110 * 1024))
    response = client_for(admin_user).post(reverse("onboarding:exporter-import"), {"file": upload})
    assert "The file is 110 KB; the limit is 100 KB." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_file_under_the_limit_is_stored_and_checked(client_for, admin_user, stored_chunks):
    upload = SimpleUploadedFile("ok.csv", csv_bytes(good_rows(2)))
    response = client_for(admin_user).post(reverse("onboarding:exporter-import"), {"file": upload})
    assert response.status_code == 302
    assert stored_chunks and ImportBatch.objects.get().status == ImportStatus.PREVIEW


def test_the_upload_still_needs_its_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    demo.verify_session(client, admin_user)  # past the second factor: only the CSRF check is left
    upload = SimpleUploadedFile("ok.csv", csv_bytes(good_rows(1)))
    assert client.post(reverse("onboarding:exporter-import"), {"file": upload}).status_code == 403
    assert not ImportBatch.objects.exists()

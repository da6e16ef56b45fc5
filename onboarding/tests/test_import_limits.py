"""The importer's bounds: columns, declared sheet sizes, unpacked size, upload bodies and memory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from ..management import demo
from ..management.bench_import import (
    HOSTILE_BUDGET_MB,
    bench_import_memory,
    import_peak,
    shared_string_xlsx,
    wide_xlsx,
)
from ..models import Exporter, ImportBatch
from ..models.imports import ImportStatus
from ..services.imports import import_batch_create
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


def test_a_workbook_without_a_dimension_and_a_cell_in_column_xfd_is_refused_in_little_memory():
    """With no declared size, a row is as wide as its last cell: a cell in column XFD on every
    row would make 16,384-wide rows. The reader keeps 61 columns at most, and a value past the
    limit, however far, stops the file (openpyxl's reader dropped one past column 61 unsaid)."""
    peak, outcome = peak_mb(read_records, wide_xlsx(declared_columns=0, far_cell=True), "far.xlsx")
    assert isinstance(outcome, ImportFileError)
    assert "Row 1 has data past column BH; an exporter file may use at most 60 columns" in str(outcome)
    assert peak < 20


def test_a_workbook_without_a_dimension_is_read_as_wide_as_its_cells():
    peak, (kind, records) = peak_mb(read_records, wide_xlsx(declared_columns=0), "narrow.xlsx")
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
    assert figures["shared_string_xlsx"]["status"] == ImportStatus.FAILED
    assert figures["shared_string_xlsx"]["peak_mb"] < figures["shared_string_xlsx"]["budget_mb"]
    assert "import memory, shared_string_xlsx" in printed
    assert not Exporter.objects.exists()


# --- Cells pointing at one long shared string ----------------------------------------------

# Run in a fresh interpreter, so the figure is that process's own high-water mark (VmHWM: what
# the operating system and gunicorn see, and what the review measured), not pytest's.
# tracemalloc counts only Python's allocations and would miss memory a C library (the XML
# parser) holds; ru_maxrss is no good either, as Linux carries it over from the forking parent.
PEAK_SCRIPT = textwrap.dedent(
    """
    import json, django
    django.setup()
    from onboarding.forms.imports import read_table
    from onboarding.management.bench_import import _peak_rss_mb, shared_string_xlsx
    from onboarding.spreadsheets import ImportFileError
    content = shared_string_xlsx()
    before = _peak_rss_mb()
    try:
        read_table(content, "shared.xlsx")
        message = ""
    except ImportFileError as exc:
        message = str(exc)
    print(json.dumps({"before_mb": before, "peak_mb": _peak_rss_mb(), "message": message}))
    """
)


def test_the_shared_string_workbook_is_a_few_kb_that_would_expand_to_1_5_gb():
    content = shared_string_xlsx()
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert len(content) < 64 * 1024
    assert len(archive.read("xl/sharedStrings.xml")) > 30_000
    assert archive.read("xl/worksheets/sheet1.xml").count(b'<c t="s"><v>0</v></c>') == 50_000


def test_reading_the_shared_string_workbook_is_refused_and_peaks_under_250_mb():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings")}
    run = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    figure = json.loads(run.stdout.strip().splitlines()[-1])
    assert figure["message"].startswith("Row 2, column A: the cell holds 30,000 characters; this column needs at most")
    assert figure["peak_mb"] < 250, figure  # the review's 80 KB file took a worker from 229 MB to 3,111 MB
    assert figure["peak_mb"] - figure["before_mb"] < 50, figure


def test_the_shared_string_workbook_fails_its_batch_and_nothing_is_stored(db, admin_user):
    batch = import_batch_create(actor=admin_user, name="shared.xlsx", content=shared_string_xlsx())
    assert batch.status == ImportStatus.FAILED
    assert "Row 2, column A: the cell holds 30,000 characters" in batch.message
    assert not batch.file
    assert not Exporter.objects.exists()


def test_a_cell_longer_than_its_column_needs_is_refused_naming_the_row_and_column():
    with pytest.raises(
        ImportFileError, match=r"Row 2, column “Legal name”: the cell holds 500 characters; .* at most 400"
    ):
        read_records_table(shared_string_xlsx(cells=50, length=500))


def test_a_long_cell_in_a_column_the_import_ignores_is_refused_past_1000_characters():
    rows = good_rows(2)
    rows[1] += ["n" * 1001]
    header = [*HEADER, "Remarks"]
    with pytest.raises(ImportFileError, match=r"Row 3, column .: the cell holds 1,001 characters; .* at most 1,000"):
        read_records_table(csv_bytes(rows, header), "remarks.csv")


def test_rows_over_the_stored_budget_refuse_the_file_before_anything_is_stored(db, admin_user, settings):
    settings.IMPORT_MAX_STORED_BYTES = 1024 * 1024
    content = shared_string_xlsx(cells=50_000, length=900, from_column=2)  # 27 MB once written out
    batch = import_batch_create(actor=admin_user, name="shared.xlsx", content=content)
    assert batch.status == ImportStatus.FAILED
    assert "already hold more than 1.0 MB of text" in batch.message
    assert not batch.file and not Exporter.objects.exists()


def test_the_same_rows_under_the_default_budget_are_read(settings):
    table = read_records_table(shared_string_xlsx(cells=50_000, length=900, from_column=2))
    assert table.total_rows == 10_000


def read_records_table(content: bytes, name: str = "shared.xlsx"):
    from ..forms.imports import read_table

    return read_table(content, name)


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

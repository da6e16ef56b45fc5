"""Bulk import: real CSV and XLSX files, the row-by-row report, upsert, limits, pages and command."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..forms.exporters import Claim, ExporterForm, KnownExporters
from ..forms.imports import read_table
from ..management import demo
from ..models import Exporter, ImportBatch
from ..models.imports import ImportStatus
from ..services.imports import import_batch_commit, import_batch_create, import_batch_validate
from .downloads import csv_lines
from .factories import ExporterFactory
from .importfiles import HEADER, csv_bytes, good_rows, xlsx_bytes


def run(content: bytes, name: str, *, actor=None, all_or_nothing: bool = False, commit: bool = True) -> ImportBatch:
    batch = import_batch_create(actor=actor, name=name, content=content, all_or_nothing=all_or_nothing)
    if batch.status != ImportStatus.FAILED:
        batch = import_batch_validate(batch=batch)
    if commit and batch.status == ImportStatus.PREVIEW:
        batch = import_batch_commit(actor=actor, batch=batch)
    return batch


def errors_by_row(batch: ImportBatch) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in batch.errors:
        found.setdefault(error["row"], []).append((error["column"], error["message"]))
    return found


# --- Valid files ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_valid_file_imports_every_row_with_derived_identifiers(db, admin_user, kind):
    rows = good_rows(3)
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    batch = run(content, f"council.{kind}", actor=admin_user)
    assert batch.status == ImportStatus.DONE, batch.message
    assert (batch.new_count, batch.update_count, batch.error_count) == (3, 0, 0)
    exporter = Exporter.objects.get(gstin=rows[0][1])
    assert (exporter.pan, exporter.iec, exporter.state) == (rows[0][1][2:12], rows[0][1][2:12], "27")
    assert exporter.products == ["0904", "090411"] and exporter.sector.code == "II"
    assert exporter.preferred_language == "hi" and exporter.is_manufacturer
    assert exporter.history.get().history_user == admin_user


def test_excel_quirks_are_undone_and_devanagari_names_kept(db):
    gstin = demo.gstin_for("27", demo.pan_for(2_100_000, "P"))
    header = ["Name", "GSTIN", "State", "PIN", "Mobile", "HS codes", "Manufacturer", "Contact person"]
    # PIN and mobile stored as numbers, an HS code that lost its leading zero, an apostrophe-quoted mobile.
    row = ["श्री गणेश हस्तशिल्प", gstin.lower(), 27, 411001, 9876543210.0, 904, "No", "'मीरा कुलकर्णी"]
    batch = run(xlsx_bytes([row], header), "hindi.xlsx")
    assert batch.status == ImportStatus.DONE, batch.errors
    exporter = Exporter.objects.get()
    assert exporter.legal_name == "श्री गणेश हस्तशिल्प" and exporter.contact_name == "मीरा कुलकर्णी"
    assert (exporter.gstin, exporter.pin_code, exporter.contact_mobile) == (gstin, "411001", "+919876543210")
    assert exporter.products == ["0904"] and exporter.is_manufacturer is False


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_csv_encodings_are_read(db, encoding):
    rows = good_rows(1)
    rows[0][0] = "Café Naturals LLP"
    batch = run(csv_bytes(rows, encoding=encoding), "excel.csv")
    assert batch.status == ImportStatus.DONE, batch.message
    assert Exporter.objects.get().legal_name == "Café Naturals LLP"


def test_headers_are_matched_tolerantly_and_unknown_columns_reported(db):
    header = ["  GST No. ", "COMPANY-NAME", "Mobile No", "Pin Code", "Sr No", "Remarks"]
    gstin = good_rows(1)[0][1]
    content = csv_bytes([[gstin, "Indus Rugs LLP", "98250 12345", "221001", "1", "call later"]], header)
    batch = run(content, "epch.csv", commit=False)
    assert batch.status == ImportStatus.PREVIEW and batch.new_count == 1
    assert "“Sr No”" in batch.message and "“Remarks”" in batch.message


def test_title_rows_above_the_header_are_skipped(db):
    content = b"Exporters list - district hub 2026\n\n" + csv_bytes(good_rows(2))
    batch = run(content, "hub.csv", commit=False)
    assert (batch.status, batch.new_count) == (ImportStatus.PREVIEW, 2)


# --- Bad rows -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_each_bad_row_is_reported_at_its_row_and_column_and_none_is_written(db, kind):
    existing = ExporterFactory(state="27")
    good = good_rows(2)
    bad_checksum = [*good_rows(1, start=2_200_000)[0]]
    bad_checksum[1] = bad_checksum[1][:-1] + ("A" if bad_checksum[1][-1] != "A" else "B")
    header = [*HEADER, "PAN"]
    rows = [
        [*good[0], ""],  # row 2: fine
        [*bad_checksum, ""],  # row 3: check character
        [*good_rows(1, start=2_300_000)[0], "AAACR5055K"],  # row 4: PAN does not match the GSTIN
        [*good_rows(1, start=2_400_000)[0][:2], "Narnia", *good[0][3:], ""],  # row 5: unknown state
        [*good[0], ""],  # row 6: the same firm as row 2
        # row 7: the firm of an existing exporter (same PAN, same state) under another GSTIN
        ["Another Name LLP", demo.gstin_for("27", existing.pan, entity="2"), "Maharashtra", "Pune", "", "", "", "", ""],
        [*good[1], ""],  # row 8: fine
    ]
    content = csv_bytes(rows, header) if kind == "csv" else xlsx_bytes(rows, header)
    batch = run(content, f"mixed.{kind}")
    errors = errors_by_row(batch)
    assert set(errors) == {3, 4, 5, 6, 7}
    assert errors[3] == [("GST No", "The GSTIN's check character does not match: a character is probably mistyped.")]
    assert errors[4][0][0] == "PAN" and "must match the GSTIN" in errors[4][0][1]
    assert errors[5] == [("State", "“Narnia” is not an Indian state or union territory.")]
    assert errors[6] == [("GST No", "Row 2 already has this GSTIN.")]
    assert errors[7][0][0] == "GST No" and f"same PAN in Maharashtra (GSTIN {existing.gstin})" in errors[7][0][1]
    assert (batch.status, batch.new_count, batch.error_count) == (ImportStatus.DONE, 2, 5)
    assert set(Exporter.objects.values_list("gstin", flat=True)) == {existing.gstin, good[0][1], good[1][1]}


def test_formulas_in_cells_are_refused_not_stored(db):
    rows = good_rows(2)
    rows[0][0] = "=cmd|' /C calc'!A0"
    rows[1][3] = "-2+3+cmd|' /C calc'!A0"
    batch = run(csv_bytes(rows), "evil.csv")
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "Company Name"), (3, "District")]
    assert all("Formulas are not imported" in e["message"] for e in batch.errors)
    assert not Exporter.objects.exists()


def test_reimporting_the_same_file_changes_nothing(db, admin_user):
    content = xlsx_bytes(good_rows(4))
    run(content, "first.xlsx", actor=admin_user)
    again = run(content, "first.xlsx", actor=admin_user)
    assert (again.status, again.new_count, again.update_count, again.unchanged_count) == (ImportStatus.DONE, 0, 0, 4)
    assert Exporter.objects.count() == 4
    assert Exporter.history.count() == 4  # no history row for an unchanged exporter


def test_a_changed_row_updates_the_exporter_and_keeps_what_the_file_does_not_say(db, admin_user):
    rows = good_rows(2)
    run(csv_bytes(rows), "first.csv")
    Exporter.objects.filter(gstin=rows[0][1]).update(status="on_hold", contact_name="Kept Name")
    rows[0][3] = "Satara"
    batch = run(csv_bytes(rows), "second.csv", actor=admin_user)
    assert (batch.new_count, batch.update_count, batch.unchanged_count) == (0, 1, 1)
    exporter = Exporter.objects.get(gstin=rows[0][1])
    assert (exporter.district, exporter.status, exporter.contact_name) == ("Satara", "on_hold", "Kept Name")
    latest = exporter.history.order_by("-history_date").first()
    assert (latest.history_type, latest.history_user, latest.district) == ("~", admin_user, "Satara")


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(db):
    rows = good_rows(3)
    rows[2][1] = "27AAPFU0939F1Z"
    batch = run(csv_bytes(rows), "strict.csv", all_or_nothing=True)
    assert batch.status == ImportStatus.FAILED and "all-or-nothing" in batch.message
    assert batch.error_count == 1 and not Exporter.objects.exists()


def test_validation_and_commit_queries_do_not_grow_with_rows(db):
    ExporterFactory.create_batch(3)
    counts = []
    for size in (5, 20):  # 20: one INSERT on SQLite too (it caps an INSERT's parameters at 999)
        content = csv_bytes(good_rows(size, start=2_000_000 + size))
        batch = import_batch_create(actor=None, name="x.csv", content=content)
        with CaptureQueriesContext(connection) as validating:
            batch = import_batch_validate(batch=batch)
        with CaptureQueriesContext(connection) as committing:
            batch = import_batch_commit(actor=None, batch=batch)
        assert (batch.status, batch.new_count) == (ImportStatus.DONE, size)
        counts.append((len(validating), len(committing)))
    assert counts[0] == counts[1]


def test_a_batch_cleans_each_row_as_the_single_exporter_form_does(db):
    rows = good_rows(6)
    rows[1][1] = "27AAPFU0939F1ZO"  # a wrong check character
    rows[2][HEADER.index("PIN")] = "12"
    rows[4][3:] = rows[5][3:] = rows[3][3:]  # district to language again: cleaned once, then remembered
    known, lists = KnownExporters(), []
    for row in read_table(csv_bytes(rows), "x.csv").rows():
        data = {"is_manufacturer": True, **{name: text for name, text in row.values.items() if text}}
        alone, batched = ExporterForm(data), ExporterForm(data, known=known)
        assert (alone.is_valid(), alone.errors, alone.cleaned_data) == (
            batched.is_valid(),
            batched.errors,
            batched.cleaned_data,
        )
        lists.append(batched.cleaned_data.get("products"))
    assert lists[3] and lists[3] == lists[4] == lists[5]
    assert len({id(products) for products in lists[3:]}) == 3  # a remembered list is each row's own copy


def test_a_batch_s_forms_share_one_unsaved_exporter_and_need_no_model_choice(db):
    """A batch's form skips BaseModelForm's set-up: that is only sound while the form has no
    model choice field (whose limit_choices_to the set-up applies) and never writes to the
    exporter its new rows share."""
    assert not [name for name, field in ExporterForm.base_fields.items() if hasattr(field, "queryset")]
    known = KnownExporters()
    rows = read_table(csv_bytes(good_rows(2)), "x.csv").rows()
    forms = [ExporterForm({"is_manufacturer": True, **row.values}, known=known) for row in rows]
    assert all(form.is_valid() for form in forms)
    assert forms[0].instance is forms[1].instance is known.new_exporter
    assert known.new_exporter.pk is None and known.new_exporter.legal_name == ""


def test_a_batch_fetches_a_chunk_s_look_ups_in_one_query_and_answers_as_it_would_unfetched(
    db, django_assert_num_queries
):
    first = ExporterFactory(state="27")
    ExporterFactory(state="27", pan=first.pan, gstin=demo.gstin_for("27", first.pan, entity="2"))  # a later id
    gstins = [
        first.gstin,
        demo.gstin_for("27", first.pan, entity="3"),  # the same PAN in the same state
        demo.gstin_for("29", first.pan),  # the same PAN in another state
        demo.gstin_for("27", "AAACZ9999K"),  # no one's
    ]

    def answers(known):
        return [(known.answer("gstin", g), known.answer("pan_state", [g[2:12], g[:2]])) for g in gstins]

    fetched = KnownExporters()
    with django_assert_num_queries(1):
        fetched.fetch([*gstins, "TOO-SHORT"])
    with django_assert_num_queries(0):
        found = answers(fetched)
    with django_assert_num_queries(4 + 2):  # each GSTIN and each of the two PANs on its own
        assert answers(KnownExporters()) == found
    by_first = Claim(gstin=first.gstin, pk=first.pk)
    assert found == [(by_first, by_first), (None, by_first), (None, None), (None, None)]


def test_the_single_exporter_form_refuses_the_same_pan_in_the_same_state(client_for, officer):
    existing = ExporterFactory(state="27")
    from .test_exporter_pages import GOOD

    data = {**GOOD, "gstin": demo.gstin_for("27", existing.pan, entity="2")}
    response = client_for(officer).post(reverse("onboarding:exporter-create"), data)
    assert "same PAN in Maharashtra" in response.context["form"].errors["gstin"][0]
    assert Exporter.objects.count() == 1


# --- Files that cannot be imported -----------------------------------------------------

NOT_A_ZIP = b"\x00\x01garbage\xff" * 50
MALFORMED = [
    ("empty.csv", b"", "file is empty."),
    ("blank.csv", b"\r\n \n", "The file is empty."),
    ("header.csv", csv_bytes([]), "header row but no exporter rows"),
    ("header.xlsx", xlsx_bytes([]), "header row but no exporter rows"),
    ("garbage.csv", NOT_A_ZIP, "not a CSV file"),
    ("scan.csv", b"%PDF-1.7\n" + NOT_A_ZIP, "looks like a PDF"),
    ("broken.xlsx", NOT_A_ZIP, "not an Excel workbook"),
    ("zip.xlsx", b"PK\x03\x04" + NOT_A_ZIP, "cannot be opened as an Excel workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0" + NOT_A_ZIP, "save the sheet as .xlsx or CSV"),
    ("list.pdf", b"%PDF-1.7", "Upload a .csv or .xlsx file"),
    ("columns.csv", b"Name,Mobile\nA,9876543210\n", "no GSTIN column"),
    ("twice.csv", b"GSTIN,GST No,Name\n1,2,3\n", "Two columns mean the same thing"),
]


@pytest.mark.parametrize(("name", "content", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_gets_a_message_never_a_500(client_for, admin_user, name, content, message):
    client = client_for(admin_user)
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("onboarding:exporter-import"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Exporter.objects.exists()


def test_files_over_the_size_and_row_limits_are_refused(client_for, admin_user, settings):
    client = client_for(admin_user)
    settings.IMPORT_MAX_ROWS = 5
    response = client.post(
        reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("big.csv", csv_bytes(good_rows(6)))}
    )
    assert "more than 5 rows" in ImportBatch.objects.get().message
    assert response.status_code == 302
    settings.IMPORT_MAX_BYTES = 1024
    response = client.post(reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("huge.csv", b"x" * 2048)})
    assert response.status_code == 200
    assert "The file is 2 KB; the limit is 1 KB. Split it into smaller files." in response.content.decode()


# --- Pages --------------------------------------------------------------------------


def test_staff_upload_preview_and_commit_the_valid_rows(client_for, officer):
    client = client_for(officer)
    rows = good_rows(3)
    rows[1][1] = "27AAPFU0939F1ZO"
    response = client.post(
        reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("hub.xlsx", xlsx_bytes(rows))}, follow=True
    )
    page = response.content.decode()
    assert "Import 2 valid rows" in page and "check character" in page
    assert not Exporter.objects.exists()
    batch = ImportBatch.objects.get()
    assert batch.uploaded_by == officer and batch.total_rows == 3
    response = client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]), follow=True)
    assert "Import finished.</strong> 2 added, 0 updated, 0 unchanged, 1 row skipped" in response.content.decode()
    assert Exporter.objects.count() == 2
    # A second click does not import twice.
    client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]))
    assert Exporter.objects.count() == 2
    listing = client.get(reverse("onboarding:exporter-import")).content.decode()
    assert "hub.xlsx" in listing and "Done" in listing


def test_error_csv_download_lists_every_error_and_defuses_formulas(client_for, admin_user):
    rows = good_rows(3)
    rows[0][0] = '=HYPERLINK("http://x")'
    rows[2][1] = "BAD"
    batch = run(csv_bytes(rows), "e.csv", commit=False)
    response = client_for(admin_user).get(reverse("onboarding:exporter-import-errors", args=[batch.pk]))
    assert response["Content-Type"].startswith("text/csv")
    lines = csv_lines(response)
    # The rows with errors as uploaded, every column, and what is wrong with each.
    assert lines[0] == [*HEADER, "errors"]
    assert [line[1:-1] for line in lines[1:]] == [[str(cell) for cell in rows[0][1:]], ["BAD", *rows[2][2:]]]
    assert [line[-1].split(":")[0] for line in lines[1:]] == ["Company Name", "GST No"]
    assert lines[1][0] == "'" + rows[0][0]
    assert not any(cell.startswith("=") for line in lines for cell in line)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_template_downloads_and_imports_as_it_is(client_for, officer, kind):
    response = client_for(officer).get(reverse("onboarding:exporter-import-template", args=[kind]))
    assert response.status_code == 200
    batch = run(response.content, f"template.{kind}")
    assert (batch.status, batch.new_count) == (ImportStatus.DONE, 1), batch.errors
    assert Exporter.objects.get().gstin == "27AAPFU0939F1ZV"


def test_startup_users_cannot_import(client_for, manager_a):
    client = client_for(manager_a)
    assert client.get(reverse("onboarding:exporter-import")).status_code == 403
    batch = run(csv_bytes(good_rows(1)), "x.csv", commit=False)
    assert client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk])).status_code == 403
    assert client.get(reverse("onboarding:exporter-import-status", args=[batch.pk])).status_code == 403
    assert not Exporter.objects.exists()


def test_exporter_list_links_to_the_import_page(client_for, officer):
    page = client_for(officer).get(reverse("onboarding:exporter-list")).content.decode()
    assert reverse("onboarding:exporter-import") in page


def test_a_large_file_goes_to_the_task_and_reports_progress(client_for, admin_user, settings):
    settings.IMPORT_ASYNC_ROWS = 10  # tasks run in-process (eager) in unit tests; 10: the commit goes to a task too
    client = client_for(admin_user)
    upload = SimpleUploadedFile("big.csv", csv_bytes(good_rows(25)))
    client.post(reverse("onboarding:exporter-import"), {"file": upload})
    batch = ImportBatch.objects.get()
    status = client.get(reverse("onboarding:exporter-import-status", args=[batch.pk])).json()
    assert status == {
        "status": "preview",
        "status_display": "Ready to commit",
        "processed_rows": 25,
        "total_rows": 25,
        "percent": 100,
        "running": False,
        "progress_text": "25 of 25 rows done.",
    }
    client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]))
    assert Exporter.objects.count() == 25


def test_a_large_file_uploaded_while_the_broker_is_down_is_kept_and_checked_once_it_is_back(
    client_for, admin_user, settings, monkeypatch
):
    from ..tasks import import_validate_task, recover_imports_task

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(import_validate_task, "apply_async", refuse)
    settings.IMPORT_ASYNC_ROWS = 1
    upload = SimpleUploadedFile("b.csv", csv_bytes(good_rows(2)))
    response = client_for(admin_user).post(reverse("onboarding:exporter-import"), {"file": upload}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "cannot be reached just now. The file is kept" in html
    assert 'id="import-waiting"' in html and 'id="import-progress"' in html  # the page polls until it runs
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.waiting_since is not None, bool(batch.file)) == (ImportStatus.UPLOADED, True, True)
    assert recover_imports_task() == 0  # the broker is still down: still waiting, nothing lost
    monkeypatch.undo()
    assert recover_imports_task() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.waiting_since, batch.message, batch.new_count) == (ImportStatus.PREVIEW, None, "", 2)
    assert recover_imports_task() == 0  # run twice, queued once


# --- Command ------------------------------------------------------------------------


def test_command_dry_run_prints_the_summary_writes_nothing_and_exits_1_on_errors(db, tmp_path, capsys):
    rows = good_rows(2)
    rows[1][1] = "27AAPFU0939F1ZO"
    path = tmp_path / "council.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_exporters", str(path), "--dry-run")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "new:       1" in out and "errors:    1" in out and "row 3 [GST No]" in out
    assert not Exporter.objects.exists() and not ImportBatch.objects.exists()


def test_command_imports_and_exits_0_when_clean(db, tmp_path, capsys):
    path = tmp_path / "council.xlsx"
    path.write_bytes(xlsx_bytes(good_rows(3)))
    call_command("import_exporters", str(path))
    assert Exporter.objects.count() == 3
    assert "3 added" in capsys.readouterr().out
    call_command("import_exporters", str(path), "--all-or-nothing")
    assert "unchanged: 3" in capsys.readouterr().out


def test_model_limits_and_rules_still_apply_in_a_batch(db):
    rows = good_rows(2)
    rows[0][0] = "x" * 201
    header = [*HEADER, "Status"]
    content = csv_bytes([[*rows[0], ""], [*rows[1], "Dropped"]], header)
    batch = run(content, "limits.csv", commit=False)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "Company Name"), (3, "Status reason")]
    assert "must be 200 characters or fewer" in batch.errors[0]["message"]  # plain words (issue 30)
    assert batch.errors[1]["message"] == "Say why the exporter is dropped."


@pytest.mark.parametrize("batches", [2, 25])
def test_import_page_query_count_does_not_grow_with_past_imports(
    client_for, officer, django_assert_num_queries, batches
):
    for i in range(batches):
        ImportBatch.objects.create(file_name=f"list-{i}.csv", uploaded_by=officer, status=ImportStatus.DONE)
    client = client_for(officer)
    # session, user, count, a page of past imports with their uploaders, the review badge
    with django_assert_num_queries(6):  # + the bell's unread count
        response = client.get(reverse("onboarding:exporter-import"))
    assert response.status_code == 200 and f"list-{batches - 1}.csv" in response.content.decode()

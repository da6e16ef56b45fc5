"""The commit checks every row against the database as it is then, and runs ExporterForm again
only for the rows whose verdict may have changed since the preview: an exporter edited, a
GSTIN or a firm (PAN in a state) registered meanwhile, or a row above that now claims
differently. Nothing changed, no row is judged twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from ..forms.imports import read_table
from ..management import demo
from ..models import Exporter, ImportBatch
from ..models.imports import ImportStatus
from ..services import import_memo, import_rows
from ..services.import_memo import checked_header, checked_read, digest, memo_delete, rows_read
from ..services.imports import (
    import_batch_commit,
    import_batch_create,
    import_batch_discard,
    import_batch_files_delete,
    import_batch_validate,
)
from .factories import ExporterFactory
from .importfiles import HEADER, csv_bytes, good_rows, xlsx_bytes


def preview(content: bytes, name: str = "rows.csv", **options) -> ImportBatch:
    batch = import_batch_create(actor=None, name=name, content=content, **options)
    return import_batch_validate(batch=batch, progress=False)


def commit(batch: ImportBatch) -> ImportBatch:
    return import_batch_commit(actor=None, batch=batch, progress=False)


def kept_files(settings) -> list[str]:
    return sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


@pytest.fixture
def judged(monkeypatch) -> list[str]:
    """The GSTIN cell of every row ExporterForm judges, in order."""
    seen: list[str] = []

    class Counted(import_rows.ExporterForm):
        def __init__(self, data, **kwargs):
            seen.append(data.get("gstin"))
            super().__init__(data, **kwargs)

    monkeypatch.setattr(import_rows, "ExporterForm", Counted)
    return seen


@pytest.mark.both_databases
def test_a_commit_with_nothing_changed_since_the_preview_judges_no_row_twice(db, judged):
    rows = good_rows(30)
    rows[4][1] = "NOT-A-GSTIN"
    batch = preview(csv_bytes(rows))
    assert len(judged) == 30 and (batch.new_count, batch.error_count) == (29, 1)
    judged.clear()
    batch = commit(batch)
    assert judged == []
    assert (batch.status, batch.new_count, batch.error_count) == (ImportStatus.DONE, 29, 1)
    assert batch.errors[0]["row"] == 6 and batch.errors[0]["column"] == "GST No"
    assert Exporter.objects.count() == 29


def test_an_exporter_changed_since_the_preview_is_judged_again_and_gets_what_the_file_says(db, judged):
    rows = good_rows(3)
    commit(preview(csv_bytes(rows)))
    batch = preview(csv_bytes(rows), name="again.csv")
    assert (batch.unchanged_count, batch.update_count) == (3, 0)
    # Edited meanwhile, by an update that leaves updated_at as it was: the digest still sees it.
    Exporter.objects.filter(gstin=rows[1][1]).update(district="Nashik", contact_name="Kept Name")
    judged.clear()
    batch = commit(batch)
    assert judged == [rows[1][1]]
    assert (batch.status, batch.update_count, batch.unchanged_count) == (ImportStatus.DONE, 1, 2)
    exporter = Exporter.objects.get(gstin=rows[1][1])
    assert (exporter.district, exporter.contact_name) == ("Pune", "Kept Name")  # the file has no contact column
    assert exporter.history.latest("history_date").district == "Pune"


def test_a_gstin_registered_since_the_preview_is_updated_not_added_again(db, judged):
    rows = good_rows(3)
    batch = preview(csv_bytes(rows))
    assert batch.new_count == 3
    gstin = rows[1][1]
    ExporterFactory(legal_name="Registered Meanwhile LLP", gstin=gstin, pan=gstin[2:12], state=gstin[:2])
    judged.clear()
    batch = commit(batch)
    assert judged == [gstin]
    assert (batch.status, batch.new_count, batch.update_count) == (ImportStatus.DONE, 2, 1)
    assert Exporter.objects.get(gstin=gstin).legal_name == rows[1][0]
    assert Exporter.objects.count() == 3


def test_a_firm_registered_since_makes_its_row_an_error_and_the_row_that_relied_on_it_follows(db, judged):
    row = good_rows(1)[0]
    gstin = row[1]
    pan, state = gstin[2:12], gstin[:2]
    same_firm = [*row]
    same_firm[1] = demo.gstin_for(state, pan, entity="2")
    batch = preview(csv_bytes([row, same_firm]))
    assert (batch.new_count, batch.errors[0]["row"]) == (1, 3)
    assert batch.errors[0]["message"].startswith("Row 2 has the same PAN")
    elsewhere = ExporterFactory(gstin=demo.gstin_for(state, pan, entity="3"), pan=pan, state=state)
    judged.clear()
    batch = commit(batch)
    # Row 2 now clashes with the firm registered meanwhile, so it claims nothing; row 3's
    # clash is then with that exporter, not with row 2: both are judged again.
    assert judged == [gstin, same_firm[1]]
    assert (batch.new_count, batch.error_count) == (0, 2)
    assert [e["row"] for e in batch.errors] == [2, 3]
    assert all("already registered with the same PAN" in e["message"] for e in batch.errors)
    assert all(elsewhere.gstin in e["message"] for e in batch.errors)
    assert list(Exporter.objects.values_list("gstin", flat=True)) == [elsewhere.gstin]


def test_an_all_or_nothing_batch_writes_nothing_when_a_row_went_bad_since_the_preview(db):
    rows = good_rows(3)
    batch = preview(csv_bytes(rows), all_or_nothing=True)
    assert (batch.new_count, batch.error_count) == (3, 0)
    gstin = rows[2][1]
    ExporterFactory(gstin=demo.gstin_for(gstin[:2], gstin[2:12], entity="4"), pan=gstin[2:12], state=gstin[:2])
    batch = commit(batch)
    assert batch.status == ImportStatus.FAILED and "all-or-nothing" in batch.message
    assert batch.errors[0]["row"] == 4 and "same PAN" in batch.errors[0]["message"]
    assert Exporter.objects.count() == 1


def test_without_its_stored_verdicts_the_commit_judges_every_row_again(db, judged):
    batch = preview(csv_bytes(good_rows(5)))
    memo_delete(batch)
    judged.clear()
    batch = commit(batch)
    assert len(judged) == 5
    assert (batch.status, batch.new_count) == (ImportStatus.DONE, 5)


def test_verdicts_stored_before_the_rules_version_was_raised_are_not_used(db, judged, monkeypatch):
    batch = preview(csv_bytes(good_rows(3)))
    monkeypatch.setattr(import_memo, "MEMO_VERSION", import_memo.MEMO_VERSION + 1)  # a later deploy
    judged.clear()
    batch = commit(batch)
    assert len(judged) == 3 and (batch.status, batch.new_count) == (ImportStatus.DONE, 3)


def test_rows_read_before_the_rules_version_was_raised_are_read_again(db, monkeypatch):
    content = xlsx_bytes(good_rows(2))
    batch = import_batch_create(actor=None, name="hub.xlsx", content=content)
    assert rows_read(batch, digest(content)) is not None
    monkeypatch.setattr(import_memo, "MEMO_VERSION", import_memo.MEMO_VERSION + 1)
    assert rows_read(batch, digest(content)) is None


def test_the_memo_is_keyed_on_its_version_not_on_the_source_of_the_code(db):
    """Editing a comment in a validator no longer throws every waiting batch's verdicts away:
    the version is raised by hand when the rules change (see MEMO_VERSION)."""
    batch = preview(csv_bytes(good_rows(1)))
    header = checked_header(batch, "a digest", import_rows.Checker(replace_lists=False))
    assert header["rules"] == import_memo.MEMO_VERSION
    assert not hasattr(import_memo, "rules")


def test_stored_verdicts_read_back_as_judged(db):
    rows = good_rows(4)
    ExporterFactory(gstin=rows[1][1], pan=rows[1][1][2:12], state=rows[1][1][:2], district="Nashik")
    rows[3][1] = "27AAPFU0939F1ZO"  # a wrong check character
    content = csv_bytes(rows)
    batch = preview(content)
    checker = import_rows.Checker(replace_lists=False)
    header = checked_header(batch, digest(content), checker)
    stored = [c for chunk in checked_read(batch, header, checker) for c in chunk]
    fresh = [c for chunk in import_rows.check_table(read_table(content, "rows.csv"), checker) for c in chunk]
    assert [c.outcome for c in stored] == ["new", "update", "new", "error"]
    for was, now in zip(stored, fresh, strict=True):
        assert (was.number, was.outcome, was.data, was.errors, was.claimed, was.seen) == (
            now.number,
            now.outcome,
            now.data,
            now.errors,
            now.claimed,
            now.seen,
        )
        assert was.reads == json.loads(json.dumps(now.reads))


def test_a_workbook_is_read_once_at_upload_and_its_rows_kept_for_the_later_steps(db, settings, monkeypatch):
    rows = good_rows(3)
    content = xlsx_bytes(rows)
    batch = import_batch_create(actor=None, name="hub.xlsx", content=content)
    kept = rows_read(batch, digest(content))
    assert [kept.row(i).values["gstin"] for i in range(3)] == [r[1] for r in rows]
    assert kept.header_cells == HEADER

    def unread(*args, **kwargs):
        raise AssertionError("the workbook was read again")

    monkeypatch.setattr("onboarding.services.imports.read_table", unread)
    batch = commit(import_batch_validate(batch=batch, progress=False))
    assert (batch.status, batch.new_count) == (ImportStatus.DONE, 3)


def test_what_a_batch_keeps_beside_its_upload_goes_when_it_is_done_or_discarded(
    db, settings, admin_user, django_capture_on_commit_callbacks
):
    batch = preview(xlsx_bytes(good_rows(2)), name="done.xlsx")
    assert kept_files(settings) == ["done.xlsx", "done.xlsx.checked.json.gz", "done.xlsx.rows.json.gz"]
    commit(batch)
    assert kept_files(settings) == ["done.xlsx"]  # the upload stays, for the record
    waiting = preview(csv_bytes(good_rows(2, start=2_500_000)), name="waiting.csv")
    assert "waiting.csv.checked.json.gz" in kept_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_discard(actor=admin_user, batch=waiting)
    assert kept_files(settings) == ["done.xlsx", "waiting.csv"]
    import_batch_files_delete(batch)
    import_batch_files_delete(waiting)
    assert kept_files(settings) == []


def test_once_every_row_is_checked_the_page_says_the_exporters_are_being_written(client_for, admin_user):
    batch = preview(csv_bytes(good_rows(2)))
    url = reverse("onboarding:exporter-import-status", args=[batch.pk])
    client = client_for(admin_user)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.COMMITTING, processed_rows=1)
    assert client.get(url).json()["status_display"] == "Committing"
    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=2)
    assert client.get(url).json()["status_display"] == "Writing the exporters"
    page = client.get(reverse("onboarding:exporter-import-detail", args=[batch.pk])).content.decode()
    assert '<span id="import-status">Writing the exporters</span>' in page


@pytest.mark.both_databases
def test_rows_changing_different_fields_each_write_their_own_changes_with_a_history_row(db, admin_user):
    rows = good_rows(3)
    commit(preview(csv_bytes(rows)))
    rows[0][HEADER.index("District")] = "Satara"
    rows[1][HEADER.index("HS codes")] = "0910"  # added to the stored products, and the sector follows the first
    batch = import_batch_commit(actor=admin_user, batch=preview(csv_bytes(rows), name="again.csv"), progress=False)
    assert (batch.update_count, batch.unchanged_count) == (2, 1)
    first, second, third = (Exporter.objects.get(gstin=row[1]) for row in rows)
    assert (first.district, first.products) == ("Satara", ["0904", "090411"])
    assert (second.district, second.products) == ("Pune", ["0904", "090411", "0910"])
    for exporter in (first, second):
        latest = exporter.history.latest("history_date")
        assert (latest.history_type, latest.history_user, latest.district) == ("~", admin_user, exporter.district)
        assert latest.history_change_reason == f"Imported from again.csv (import #{batch.pk})"
    assert third.history.count() == 1

"""Files in S3-compatible object storage, against a real S3 server on loopback (moto's server
mode, see object_storage.py): uploads land in the bucket and not on disk, downloads stream back
the same bytes with the same headers and the same scope checks, imports and monthly packs go
through the same storage, and the copy command moves what is on disk into the bucket."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ..management.file_copy import Outcome, file_copy
from ..models import Activity, EvidenceDocument, Exporter, ImportBatch, StageEvent
from ..models.imports import ImportStatus
from ..services.monthly_reports import last_finished_month, monthly_report_build
from ..services.progress import activity_log, stage_event_submit
from .conftest import PortalClient
from .factories import ExporterFactory, assign, stage
from .importfiles import good_rows, xlsx_bytes
from .object_storage import store_in

INVOICE = b"%PDF-1.4 invoice 17 for 12,500 USD " + bytes(range(256)) * 40
WORD = b"PK\x03\x04" + b"\x00" * 64


@pytest.fixture
def exporter_a(startup_a):
    return assign(ExporterFactory(legal_name="Moradabad Brass Works LLP"), startup_a, stage_code="first_inquiry")


def claim_first_order(client, exporter) -> StageEvent:
    """The agent's "First order" claim with an invoice, sent from the exporter's page."""
    response = client.post(
        reverse("onboarding:exporter-submit-stage", args=[exporter.pk]),
        {
            "evidence_reference": "ORDER-17",
            "evidence_amount": "12500",
            "evidence_country": "AE",
            "evidence_file": SimpleUploadedFile("Invoice 17.pdf", INVOICE),
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    return StageEvent.objects.get(exporter=exporter, stage__code="first_order")


def on_disk(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def work_with_attachment(agent, exporter):
    """Work logged with a Word file attached, through the work log's service."""
    return activity_log(
        actor=agent,
        exporter=exporter,
        kind="documents",
        occurred_at=timezone.now(),
        attachment=SimpleUploadedFile("checklist.docx", WORD),
    )


def test_evidence_uploaded_through_the_page_lands_in_the_bucket_and_not_on_disk(
    settings, use_bucket, client_for, agent_a, exporter_a
):
    claim = claim_first_order(client_for(agent_a), exporter_a)
    assert claim.evidence_file.name.startswith("evidence/")
    assert use_bucket.keys() == [claim.evidence_file.name]
    assert use_bucket.read(claim.evidence_file.name) == INVOICE
    assert claim.evidence_sha256 == hashlib.sha256(INVOICE).hexdigest()
    assert on_disk(settings) == []


def test_evidence_downloads_from_the_bucket_byte_for_byte_with_the_same_headers(
    use_bucket, client_for, agent_a, manager_a, officer, exporter_a
):
    claim = claim_first_order(client_for(agent_a), exporter_a)
    for viewer in (manager_a, officer):
        response = client_for(viewer).get(claim.download_url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == INVOICE
        assert response["Content-Length"] == str(len(INVOICE))
        assert response["Content-Type"] == "application/pdf"
        assert (
            response["Content-Disposition"].startswith("inline;")
            and "Invoice 17.pdf" in response["Content-Disposition"]
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Cache-Control"] == "private, no-store"
        assert "Location" not in response  # the bytes come through the portal, never a link to the bucket


def test_another_startups_manager_gets_404_for_a_file_in_the_bucket(
    use_bucket, client_for, agent_a, manager_b, exporter_a
):
    claim = claim_first_order(client_for(agent_a), exporter_a)
    work = work_with_attachment(agent_a, exporter_a)
    intruder = client_for(manager_b)
    assert intruder.get(claim.download_url).status_code == 404
    assert intruder.get(work.download_url).status_code == 404


def test_a_file_missing_from_the_bucket_is_a_404_not_an_error(use_bucket, client_for, agent_a, officer, exporter_a):
    claim = claim_first_order(client_for(agent_a), exporter_a)
    use_bucket.client.delete_object(Bucket=use_bucket.name, Key=claim.evidence_file.name)
    assert client_for(officer).get(claim.download_url).status_code == 404


def test_a_work_log_attachment_is_kept_in_the_bucket_and_downloads_back(
    settings, use_bucket, client_for, agent_a, manager_a, exporter_a
):
    work = work_with_attachment(agent_a, exporter_a)
    assert use_bucket.keys() == [work.attachment.name] and on_disk(settings) == []
    response = client_for(manager_a).get(work.download_url)
    assert b"".join(response.streaming_content) == WORD
    assert response["Content-Disposition"].startswith("attachment;")


def test_an_import_is_uploaded_checked_and_committed_through_the_bucket(settings, use_bucket, client_for, officer):
    client = client_for(officer)
    response = client.post(
        reverse("onboarding:exporter-import"), {"file": SimpleUploadedFile("hub.xlsx", xlsx_bytes(good_rows(3)))}
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    # The upload and the rows read from it (kept for the commit) are both in the bucket.
    assert use_bucket.keys() == sorted(
        [batch.file.name, f"{batch.file.name}.checked.json.gz", f"{batch.file.name}.rows.json.gz"]
    )
    assert on_disk(settings) == []
    client.post(reverse("onboarding:exporter-import-commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE and Exporter.objects.count() == 3
    assert use_bucket.keys() == [batch.file.name]  # the caches went with the commit; the upload stays


def test_a_monthly_pack_is_written_to_the_bucket_and_opened_from_it(settings, use_bucket, client_for, admin_user):
    report = monthly_report_build(month=last_finished_month(timezone.localdate()), version=1)
    assert use_bucket.keys() == sorted([report.xlsx.name, report.pdf.name]) and on_disk(settings) == []
    pdf = use_bucket.read(report.pdf.name)
    assert hashlib.sha256(pdf).hexdigest() == report.pdf_sha256
    response = client_for(admin_user).get(reverse("onboarding:analytics-monthly-file", args=[report.pk, "pdf"]))
    assert b"".join(response.streaming_content) == pdf


def test_a_second_file_under_a_taken_name_never_overwrites_the_first(use_bucket):
    first = default_storage.save("imports/hub.csv", io.BytesIO(b"first"))
    second = default_storage.save("imports/hub.csv", io.BytesIO(b"second"))
    assert first == "imports/hub.csv" and second != first
    assert use_bucket.read(first) == b"first" and use_bucket.read(second) == b"second"


def test_the_hash_backfill_reads_evidence_from_the_bucket_and_counts_what_is_missing(
    use_bucket, client_for, agent_a, exporter_a
):
    claim = claim_first_order(client_for(agent_a), exporter_a)
    StageEvent.objects.filter(pk=claim.pk).update(evidence_sha256="")
    EvidenceDocument.objects.create(event=claim, file="evidence/gone.pdf", file_name_kept="gone.pdf")
    call_command("backfill_evidence_hashes", stdout=(out := io.StringIO()))
    claim.refresh_from_db()
    assert claim.evidence_sha256 == hashlib.sha256(INVOICE).hexdigest()
    assert "claims: 1 hashed" in out.getvalue() and "1 files missing from storage" in out.getvalue()


# --- Moving what is on disk into the bucket ---------------------------------------------


@pytest.fixture
def files_on_disk(settings, agent_a, exporter_a):
    """Evidence, a work file and an import stored on local disk, before the bucket is used."""
    claim_file = SimpleUploadedFile("Invoice 17.pdf", INVOICE)
    claim = stage_event_submit(
        actor=agent_a,
        exporter=exporter_a,
        stage=stage("first_order"),
        evidence={
            "evidence_reference": "ORDER-17",
            "evidence_amount": 12500,
            "evidence_country": "AE",
            "evidence_file": claim_file,
        },
    )
    work = work_with_attachment(agent_a, exporter_a)
    names = sorted(
        [claim.evidence_file.name, work.attachment.name, *EvidenceDocument.objects.values_list("file", flat=True)]
    )
    assert set(names) <= set(on_disk(settings))
    return names


def copy(**options) -> str:
    out = io.StringIO()
    call_command("copy_files_to_storage", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_the_copy_command_copies_every_file_and_a_second_run_copies_nothing(settings, bucket, files_on_disk):
    store_in(settings, bucket)
    assert copy(dry_run=True).startswith(f"{len(files_on_disk)} to copy")
    assert bucket.keys() == []
    assert copy().startswith(f"{len(files_on_disk)} copied")
    assert bucket.keys() == files_on_disk
    disk = FileSystemStorage(location=settings.MEDIA_ROOT)
    for name in files_on_disk:
        assert bucket.read(name) == disk.open(name).read()
    again = copy(verify=True)
    assert again.startswith(f"0 copied (0.0 MB), {len(files_on_disk)} already in storage")


def test_the_copied_files_open_through_the_portal_once_the_bucket_is_used(
    settings, bucket, files_on_disk, client_for, manager_a
):
    store_in(settings, bucket)
    copy()
    settings.MEDIA_ROOT = settings.MEDIA_ROOT.parent / "gone"  # the old disk is not read any more
    claim = StageEvent.objects.get(stage__code="first_order")
    assert b"".join(client_for(manager_a).get(claim.download_url).streaming_content) == INVOICE
    work = Activity.objects.get()
    assert b"".join(client_for(manager_a).get(work.download_url).streaming_content) == WORD


def test_a_different_file_already_under_the_name_is_reported_and_left_alone(settings, bucket, files_on_disk):
    store_in(settings, bucket)
    taken = files_on_disk[0]
    bucket.client.put_object(Bucket=bucket.name, Key=taken, Body=b"something else")
    with pytest.raises(CommandError, match="1 a different file already stored under its name"):
        copy()
    assert bucket.read(taken) == b"something else"
    assert set(bucket.keys()) == set(files_on_disk)  # the others were copied all the same


def test_a_copy_that_does_not_match_its_source_is_deleted_and_reported(settings, bucket, files_on_disk):
    store_in(settings, bucket)
    disk = FileSystemStorage(location=settings.MEDIA_ROOT)

    class Truncating(FileSystemStorage):
        """A storage that loses the end of what it is given: the check must notice."""

        def _save(self, name, content):
            return super()._save(name, ContentFile(content.read()[:-1]))

    target = Truncating(location=settings.MEDIA_ROOT.parent / "target")
    assert file_copy(files_on_disk[0], source=disk, target=target) == Outcome.FAILED
    assert not target.exists(files_on_disk[0])


def test_a_file_missing_from_disk_is_counted_and_the_rest_copied(settings, bucket, files_on_disk):
    store_in(settings, bucket)
    FileSystemStorage(location=settings.MEDIA_ROOT).delete(files_on_disk[0])
    assert ", 1 missing from disk" in copy()
    assert bucket.keys() == files_on_disk[1:]


def test_the_copy_command_refuses_when_files_are_kept_on_disk(db):
    with pytest.raises(CommandError, match="set S3_BUCKET"):
        copy()


# --- No address to a stored object, and the settings that choose the bucket -----------------


def test_nothing_gives_an_address_to_a_stored_object_not_even_admin(
    use_bucket, client_for, agent_a, admin_user, exporter_a
):
    claim = claim_first_order(client_for(agent_a), exporter_a)
    assert default_storage.url(claim.evidence_file.name) == ""
    admin = PortalClient()
    admin.force_login(admin_user)
    page = admin.get(reverse("admin:onboarding_stageevent_change", args=[claim.pk])).content.decode()
    assert claim.evidence_file.name in page  # shown as a name, linked to nowhere
    assert use_bucket.endpoint not in page and "Signature" not in page


def _settings_with(**variables) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process with these variables set, and print the default storage."""
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", **variables}
    return subprocess.run(
        [sys.executable, "-c", f"import json; {script}"], env=env, capture_output=True, text=True, timeout=60
    )


def test_s3_bucket_and_its_variables_choose_a_private_bucket_that_never_overwrites():
    loaded = _settings_with(
        S3_BUCKET="programme-files",
        S3_ENDPOINT_URL="https://s3.example.in",
        S3_REGION="ap-south-1",
        S3_ACCESS_KEY_ID="key-id",
        S3_SECRET_ACCESS_KEY="secret",
    )
    assert loaded.returncode == 0, loaded.stderr
    storage = json.loads(loaded.stdout.splitlines()[-1])
    assert storage["BACKEND"] == "portal.s3.PrivateS3Storage"
    assert storage["OPTIONS"] | {"max_memory_size": 0} == {
        "bucket_name": "programme-files",
        "endpoint_url": "https://s3.example.in",
        "region_name": "ap-south-1",
        "access_key": "key-id",
        "secret_key": "secret",
        "default_acl": "private",
        "file_overwrite": False,
        "max_memory_size": 0,
    }


def test_without_s3_bucket_files_stay_on_local_disk():
    loaded = _settings_with(S3_BUCKET="")
    assert json.loads(loaded.stdout.splitlines()[-1])["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_nginx_serving_from_disk_and_a_bucket_together_are_refused():
    loaded = _settings_with(S3_BUCKET="programme-files", PROTECTED_MEDIA_ACCEL="/protected-media/")
    assert loaded.returncode != 0 and "unset it when S3_BUCKET is set" in loaded.stderr

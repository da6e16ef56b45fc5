"""factory-boy factories: valid by default, with checksum-correct GSTINs."""

from __future__ import annotations

from unittest import mock

import factory

from ..management import demo
from ..models import Exporter, Stage, Startup, StartupMember, User
from ..models.activities import OUTCOME_KINDS, ContactOutcome
from ..models.startups import MemberRole, StartupStatus
from ..models.users import StaffRole
from ..services.assignments import exporter_assign
from ..services.progress import stage_event_submit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    staff_role = StaffRole.OFFICER
    is_staff = True


class StartupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Startup

    legal_name = factory.Sequence(lambda n: f"Export Bridge {n} Private Limited")
    brand_name = factory.Sequence(lambda n: f"ExportBridge {n}")
    dpiit_number = factory.Sequence(lambda n: f"DIPP{5000 + n}")
    state = "27"
    city = "Pune"
    contact_name = "Priya Shah"
    contact_email = factory.Sequence(lambda n: f"hello{n}@startup.example.in")
    contact_mobile = "+919876543210"
    languages = ["en", "hi", "mr"]
    capacity = 40
    status = StartupStatus.ACTIVE


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StartupMember

    user = factory.SubFactory(UserFactory)
    startup = factory.SubFactory(StartupFactory)
    role = MemberRole.MANAGER


class ExporterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exporter

    legal_name = factory.Sequence(lambda n: f"Shree Textiles {n} LLP")
    state = "27"
    pan = factory.Sequence(lambda n: demo.pan_for(50_000 + n, "F"))
    gstin = factory.LazyAttribute(lambda o: demo.gstin_for(o.state, o.pan))
    iec = factory.LazyAttribute(lambda o: o.pan)
    district = "Pune"
    pin_code = "411001"
    contact_name = "Rohan Iyer"
    contact_mobile = "+919812345678"
    products = ["6109"]
    preferred_language = "mr"


def assign(exporter: Exporter, startup: Startup, *, stage_code: str = "assigned", entered=None) -> Exporter:
    """Give a pool exporter to a startup through the assignment service (capacity checked,
    history written), and return it refreshed. `stage_code` and `entered` start it further
    along the path: that is test setup, written straight to the row, because the only service
    that moves a stage by hand (`exporter_set_stage`) also records an admin's stage event."""
    # Setup, not an event of the test: a notice to the managers (and its email, sent at once in
    # transactional tests) would be one more row in every test that counts notices or the outbox.
    with mock.patch("onboarding.services.assignments.notify_exporters_assigned"):
        exporter_assign(actor=None, exporter=exporter, startup=startup, why="test")
    if stage_code != "assigned" or entered is not None:
        moved = {"current_stage": stage(stage_code)}
        if entered is not None:
            moved["stage_entered_at"] = entered
        Exporter.objects.filter(pk=exporter.pk).update(**moved)
    exporter.refresh_from_db()
    return exporter


def stage(code: str) -> Stage:
    return Stage.objects.get(code=code)


def commission_rule(code: str, amount: str = "2500.00"):
    from datetime import date

    from ..models import CommissionRule

    return CommissionRule.objects.create(stage=stage(code), amount=amount, active_from=date(2020, 1, 1))


def bank_details(startup: Startup, *, confirmed: bool = True, pan: str = "AAPFU0939F", gstin: str = ""):
    """Bank details for `startup`, confirmed by a second admin unless told otherwise (a valid
    PAN by default, so TDS is at the ordinary rate)."""
    from django.utils import timezone

    from ..models import BankAccount

    now = timezone.now()
    return BankAccount.objects.create(
        startup=startup,
        holder_name=startup.legal_name,
        account_number=f"{50100000000 + startup.pk}",
        ifsc="HDFC0001234",
        pan=pan,
        gstin=gstin,
        changed_at=now,
        confirmed_at=now if confirmed else None,
    )


def pay_through_a_run(admin: User, *, utr: str = "SBIN226330000001"):
    """Pay every approved commission the only way there is: a payout run for this month, each
    startup's payout with its own UTR (startups without bank details get confirmed ones)."""
    from django.utils import timezone

    from ..models import BankAccount
    from ..services.payouts import payout_pay, payout_run_create

    run = payout_run_create(actor=admin, period=timezone.localdate())
    for number, payout in enumerate(run.payouts.order_by("pk")):
        if not BankAccount.objects.filter(startup_id=payout.startup_id).exists():
            bank_details(payout.startup)
        payout_pay(actor=admin, payout=payout, payment_reference=f"{utr[:-2]}{int(utr[-2:]) + number:02d}")
    return run


# The first bytes of a real file of each type: uploads are checked by content, not by name.
FILE_HEADS = {".pdf": b"%PDF-1.4\n", ".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff\xe0", ".xlsx": b"PK\x03\x04"}


def upload(name: str, content: bytes | None = None):
    """An uploaded file called `name` whose bytes are a real file of its type (unless `content` says otherwise)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    extension = name[name.rfind(".") :].lower()
    return SimpleUploadedFile(name, content if content is not None else FILE_HEADS.get(extension, b"") + b"test")


def checklist_files(code: str) -> dict:
    """Every document the stage `code` asks for, as the service's `checklist` (kind -> a PDF upload)."""
    return {kind: upload(f"{kind}.pdf") for kind in stage(code).required_documents}


def reached_if_contact(kind: str) -> str:
    """The outcome to log `kind` of work with when a test means "the work happened": reached
    for a call or visit (which must say how it went), none for other work."""
    return ContactOutcome.REACHED if kind in OUTCOME_KINDS else ""


def documents_claim(exporter: Exporter, actor: User, *, note: str = "docs"):
    """A claim waiting for review: `exporter`, contacted, submitted by `actor` as "Documents
    collected" with every document that stage asks for."""
    exporter.current_stage = stage("contacted")
    exporter.save()
    return stage_event_submit(
        actor=actor,
        exporter=exporter,
        stage=stage("documents_collected"),
        evidence={"note": note},
        checklist=checklist_files("documents_collected"),
    )

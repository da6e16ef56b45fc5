from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from ..models import Exporter, Sector, User
from ..reference import hs_section_for
from .audit import as_actor
from .summary import summary_changed


def exporter_derived_fields(data: dict, sectors_by_code: dict[str, Sector] | None = None) -> dict:
    """Fill what a GSTIN and product list imply: PAN, IEC, state, sector."""
    gstin = data["gstin"]
    data = {**data, "pan": gstin[2:12], "state": gstin[:2]}
    if not data.get("iec"):
        data["iec"] = data["pan"]
    products = data.get("products") or []
    section = hs_section_for(products[0]) if products else None
    if sectors_by_code is None:
        sectors_by_code = {s.code: s for s in Sector.objects.filter(code=section)} if section else {}
    data["sector"] = sectors_by_code.get(section) if section else None
    return data


@transaction.atomic
def exporter_create(*, actor: User, data: dict) -> Exporter:
    """Register an exporter from cleaned form data; writes a history row."""
    exporter = as_actor(Exporter(**exporter_derived_fields(data)), actor)
    exporter.save()
    summary_changed()
    return exporter


@transaction.atomic
def exporter_update(*, actor: User, exporter: Exporter, data: dict) -> Exporter:
    """Apply cleaned form data to an exporter; writes a history row."""
    for field, value in exporter_derived_fields(data).items():
        setattr(exporter, field, value)
    as_actor(exporter, actor).save()
    summary_changed()
    return exporter


@transaction.atomic
def exporter_contact_correct(*, actor: User, exporter: Exporter, contact_mobile: str, contact_email: str) -> Exporter:
    """Correct an exporter's contact phone and email, by staff or the startup holding it;
    writes a history row naming the actor, which the timeline shows to staff."""
    membership = actor.active_membership
    holds_it = (
        membership is not None and exporter.startup_id is not None and membership.startup_id == exporter.startup_id
    )
    if not (actor.is_programme_staff or holds_it):
        raise PermissionDenied("Only the startup working this exporter, or programme staff, may correct its contact.")
    exporter = Exporter.objects.select_for_update().get(pk=exporter.pk)
    if (exporter.contact_mobile, exporter.contact_email) == (contact_mobile, contact_email):
        return exporter
    exporter.contact_mobile, exporter.contact_email = contact_mobile, contact_email
    as_actor(exporter, actor).save(update_fields=["contact_mobile", "contact_email", "updated_at"])
    return exporter

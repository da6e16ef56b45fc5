from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Exporter, Sector, User
from ..reference import hs_section_for
from .audit import as_actor
from .contact_changes import contact_changes_supersede
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
def exporter_contact_correct(
    *, actor: User, exporter: Exporter, contact_mobile: str, contact_email: str, contact_name: str | None = None
) -> Exporter:
    """Programme staff correct an exporter's contact at once (a startup proposes instead:
    services/contact_changes.py); a waiting proposal is replaced. Writes a history row naming
    the actor, which the timeline shows."""
    if not actor.is_programme_staff:
        raise PermissionDenied(_("Only programme staff correct a contact directly: a startup proposes the change."))
    exporter = Exporter.objects.select_for_update().get(pk=exporter.pk)
    contact_name = exporter.contact_name if contact_name is None else contact_name
    if (exporter.contact_name, exporter.contact_mobile, exporter.contact_email) == (
        contact_name,
        contact_mobile,
        contact_email,
    ):
        return exporter
    contact_changes_supersede(actor=actor, exporter_id=exporter.pk, reason="Replaced by a staff correction")
    exporter.contact_name, exporter.contact_mobile, exporter.contact_email = contact_name, contact_mobile, contact_email
    as_actor(exporter, actor).save(update_fields=["contact_name", "contact_mobile", "contact_email", "updated_at"])
    return exporter

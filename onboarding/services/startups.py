from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Startup, StartupMember, User
from ..models.startups import MemberRole
from .audit import as_actor


@transaction.atomic
def startup_create(*, actor: User, data: dict) -> Startup:
    """Register a startup from cleaned form data; writes a history row."""
    sectors = data.pop("sectors", None)
    startup = as_actor(Startup(**data), actor)
    startup.save()
    if sectors is not None:
        startup.sectors.set(sectors)
    return startup


@transaction.atomic
def startup_update(*, actor: User, startup: Startup, data: dict) -> Startup:
    """Apply cleaned form data to a startup; writes a history row."""
    sectors = data.pop("sectors", None)
    for field, value in data.items():
        setattr(startup, field, value)
    as_actor(startup, actor).save()
    if sectors is not None:
        startup.sectors.set(sectors)
    return startup


@transaction.atomic
def startup_member_add(
    *, actor: User, startup: Startup, email: str, role: str, first_name: str = "", last_name: str = ""
) -> StartupMember:
    """Add a person to a startup's team, creating their account if new.

    A new account has no usable password: a set-password email is queued on commit.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    member = StartupMember.objects.create(user=user, startup=startup, role=MemberRole(role), added_by=actor)
    if created or not user.has_usable_password():
        transaction.on_commit(lambda: _invite(user.pk))
    return member


def _invite(user_id: int) -> None:
    """Queue the set-password email; with the broker down, send it now rather than lose it."""
    from ..queueing import publish_many
    from ..tasks import send_set_password_email_task

    if not publish_many(send_set_password_email_task, [(user_id,)]):
        send_set_password_email_task.apply(args=(user_id,))  # in-process; a mail error is logged, not raised


@transaction.atomic
def startup_member_remove(*, actor: User, member: StartupMember) -> StartupMember:
    """End a membership: the person loses access at once; their exporters stay with the startup."""
    from ..models import Exporter

    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    Exporter.objects.filter(startup=member.startup, agent=member.user).update(agent=None)
    return member

"""Startups and their people: register, edit, add and remove members, pause, suspend, exit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Assignment, Exporter, OutboxMessage, Startup, StartupMember, User
from ..models.assignments import EndReason
from ..models.outbox import MessageKind
from ..models.startups import MemberRole, StartupStatus
from .audit import as_actor, log_action, require_reason
from .exporter_link import exporter_links_rotate
from .outbox import NewMessage, outbox_post
from .progress import claims_withdraw
from .summary import summary_changed
from .throttling import RESET_WINDOW, throttle_hit, throttle_key

# Invitations a manager may send again to one person in an hour (the password-reset window).
INVITATION_RESENDS_PER_HOUR = 3


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

    A new account has no usable password: a set-password invitation goes to the outbox.
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
        _invite(member)
    return member


@transaction.atomic
def startup_agent_invite(
    *, actor: User, startup: Startup, email: str, first_name: str = "", last_name: str = ""
) -> StartupMember | None:
    """A manager adds an agent by email: as `startup_member_add`, unless the address belongs to
    programme staff or to someone already in a team (this one or another); then nothing is
    written but a line in the admin log, and None is returned. The manager's page answers the
    same either way, so it tells nobody which addresses have an account."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and (user.is_programme_staff or StartupMember.objects.active().filter(user=user).exists()):
        log_action(actor=actor, subject=user, message=f"Not added to {startup}'s team: staff or already in a team.")
        return None
    return startup_member_add(
        actor=actor, startup=startup, email=email, role=MemberRole.AGENT, first_name=first_name, last_name=last_name
    )


def _invite(member: StartupMember, period_key: str = "") -> None:
    """Write the set-password invitation to the outbox (one per membership), queued on
    commit; with the broker down this process sends it right after commit, so a new
    person is not kept waiting. The outbox retries it while the link would still work."""
    now = timezone.now()
    invitation = NewMessage(
        kind=MessageKind.INVITATION,
        recipient_id=member.user_id,
        startup_id=member.startup_id,
        period_key=period_key or f"member-{member.pk}",
        retry_until=now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    outbox_post([invitation], lease=now, send_here_if_refused=True)


@transaction.atomic
def startup_member_reinvite(*, actor: User, member: StartupMember) -> StartupMember:
    """Send a pending member's set-password invitation again, through the outbox (a fresh link);
    at most INVITATION_RESENDS_PER_HOUR an hour per person; recorded in the admin log."""
    # The membership's row lock serialises two clicks, so they never pick the same period key.
    StartupMember.objects.select_for_update().get(pk=member.pk)
    if member.user.has_usable_password():
        raise ValidationError(_("%(email)s has already set a password and can sign in.") % {"email": member.user.email})
    if not throttle_hit(
        limits={throttle_key("invitation-resend", str(member.pk)): INVITATION_RESENDS_PER_HOUR}, window=RESET_WINDOW
    ):
        raise ValidationError(
            _(
                "The invitation to %(email)s was sent again %(count)s times in the last "
                "hour. Ask them to look in their spam folder, or try again later."
            )
            % {"email": member.user.email, "count": INVITATION_RESENDS_PER_HOUR}
        )
    sent = OutboxMessage.objects.filter(kind=MessageKind.INVITATION, recipient=member.user).count()
    _invite(member, period_key=f"member-{member.pk}-{sent + 1}")
    log_action(actor=actor, subject=member.user, message=f"Invitation to {member.startup} sent again")
    return member


@transaction.atomic
def startup_member_remove(*, actor: User, member: StartupMember) -> StartupMember:
    """End a membership: the person loses access at once; their exporters stay with the startup."""
    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    Exporter.objects.filter(startup=member.startup, agent=member.user).update(agent=None)
    return member


# --- Lifecycle: pause, suspend, exit, release ---------------------------------------


@transaction.atomic
def startup_set_accepting(*, actor: User | None, startup: Startup, accepting: bool) -> Startup:
    """Pause or resume new assignments; the startup keeps the exporters it has. History row."""
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    startup.accepting_assignments = accepting
    as_actor(startup, actor).save()
    return startup


@transaction.atomic
def startup_release_exporters(
    *, actor: User | None, startup: Startup, reason: str, end_reason: str = EndReason.STARTUP_EXITED
) -> int:
    """Return every open exporter of a startup to the pool in one go; assignments are closed, not deleted."""
    reason = require_reason(reason)
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    exporters = list(Exporter.objects.select_for_update().filter(startup=startup).order_by("pk"))
    assignments = list(Assignment.objects.open().select_for_update().filter(exporter__in=exporters).order_by("pk"))
    now = timezone.now()
    for a in assignments:
        a.ended_at, a.end_reason, a.end_note, a.ended_by = now, end_reason, reason, actor
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        ended_at=now, end_reason=end_reason, end_note=reason, ended_by=actor
    )
    Assignment.history.bulk_history_create(
        assignments, update=True, default_user=actor, default_change_reason=reason, default_date=now
    )
    for e in exporters:
        e.return_to_pool()
        e.updated_at = now
    Exporter.objects.filter(pk__in=[e.pk for e in exporters]).update(**Exporter.POOL_FIELDS, updated_at=now)
    summary_changed()
    Exporter.history.bulk_history_create(
        exporters, update=True, default_user=actor, default_change_reason=reason, default_date=now
    )
    exporter_links_rotate(
        actor=actor, exporter_ids=[e.pk for e in exporters], reason=f"Returned to the pool ({reason})", now=now
    )
    claims_withdraw(actor=actor, startup_id=startup.pk, reason=f"the startup returned its exporters ({reason})")
    return len(exporters)


@transaction.atomic
def startup_set_status(
    *, actor: User | None, startup: Startup, status: str, reason: str, release: bool = False
) -> tuple[Startup, int]:
    """Activate, suspend or exit a startup; optionally return all its exporters to the pool at once.
    A suspended or exited startup's waiting claims are withdrawn: it is not paid for work it
    can no longer follow up."""
    reason = require_reason(reason)
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    startup.status = status
    startup._change_reason = reason
    as_actor(startup, actor).save()
    if status != StartupStatus.ACTIVE:
        # Its exporters are locked first, as an approval locks them: the two take turns.
        held = list(
            Exporter.objects.select_for_update().filter(startup=startup).order_by("pk").values_list("pk", flat=True)
        )
        state = startup.get_status_display().lower()
        claims_withdraw(actor=actor, startup_id=startup.pk, reason=f"the startup is {state} ({reason})")
        if not release:  # released, they get new links as they return to the pool
            # Its people keep no working door to the exporters' own channel.
            exporter_links_rotate(actor=actor, exporter_ids=held, reason=f"The startup is {state}", now=timezone.now())
    released = startup_release_exporters(actor=actor, startup=startup, reason=reason) if release else 0
    return startup, released

"""Notifications: the bell's notices, each emailed through the outbox on commit.

`notify` is called by the service that makes the change, inside its transaction, so a
rolled-back change leaves no notice and no email. Each notice names its event
(`event_key`): the same event, however often a service or job runs, makes one notice per
person (a unique constraint), and its email is one outbox row keyed by the notice, so it
is sent once (services/outbox.py).

A notice's title and text are written in its recipient's language (`User.language`): the
functions below hand `notify` callables, which it calls once per person inside
`translation.override`, so the bell and the email say it in the language the person reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Commission, Dispute, Exporter, Notification, OutboxMessage, Payout, StageEvent, StartupMember, User
from ..models.notifications import NotificationKind
from ..models.outbox import MessageKind, daily_period
from ..models.stages import UNDO_WINDOW, StageEventStatus
from ..models.startups import MemberRole
from ..models.users import StaffRole
from ..reference import rupees
from .outbox import NewMessage, outbox_post

# An email about a notice is worth retrying for a day; after that the bell has told them.
EMAIL_RETRY_FOR = timedelta(days=1)
# Officers hear about evidence once it has waited this long.
WAITING_AFTER = timedelta(days=1)

# A notice's words: a string, or a callable returning them in the active language.
Words = str | Callable[[], str]


def _words(words: Words) -> str:
    return words() if callable(words) else words


def notify(
    *,
    recipients: Iterable[User | None],
    kind: str,
    title: Words,
    event_key: str,
    body: Words = "",
    link: str = "",
    startup_id: int | None = None,
) -> list[Notification]:
    """One notice per active recipient for the event `event_key` (none for those who have it
    already), and an email for each new one whose recipient wants them, queued on commit.
    `title` and `body` given as callables are written in each recipient's language."""
    people = {user.pk: user for user in recipients if user is not None and user.is_active}
    created = []
    for user in people.values():
        with translation.override(user.reads):
            words = {"title": _words(title)[:200], "body": _words(body)}
        notice, new = Notification.objects.get_or_create(
            recipient=user,
            event_key=event_key[:120],
            defaults={"kind": kind, **words, "link": link[:300], "startup_id": startup_id},
        )
        if new:
            created.append(notice)
    _email(created, people, startup_id)
    return created


def _email(notices: list[Notification], people: dict[int, User], startup_id: int | None) -> None:
    now = timezone.now()
    outbox_post(
        [
            NewMessage(
                kind=MessageKind.NOTIFICATION,
                recipient_id=notice.recipient_id,
                startup_id=startup_id,
                notification_id=notice.pk,
                period_key=f"n{notice.pk}",  # one email per notice, under the outbox's unique key
                retry_until=now + EMAIL_RETRY_FOR,
            )
            for notice in notices
            if people[notice.recipient_id].notification_emails
        ],
        lease=now,
    )


def managers_of(startup_id: int | None) -> list[User]:
    if startup_id is None:
        return []
    members = StartupMember.objects.active().filter(startup_id=startup_id, role=MemberRole.MANAGER)
    return [m.user for m in members.select_related("user")]


def _officers() -> list[User]:
    """Who reviews evidence: the officers, or the admins when there is none."""
    staff = User.objects.filter(is_active=True)
    return list(staff.filter(staff_role=StaffRole.OFFICER)) or list(staff.filter(staff_role=StaffRole.ADMIN))


# --- One function per event, called by the service that made it ----------------------------


def notify_exporters_assigned(*, startup_id: int, exporter_names: list[str], batch_key: str) -> None:
    """One notice to the startup's managers for a whole apply or bulk assignment (`batch_key` names it)."""
    if not exporter_names:
        return
    count = len(exporter_names)
    names = sorted(exporter_names)[:5]
    words = {"count": count, "names": ", ".join(names), "more": count - len(names)}

    def body() -> str:
        if count > len(names):
            return (
                _("%(names)s and %(more)s more. Contact them within the stage's time: a logged call or visit counts.")
                % words
            )
        return _("%(names)s. Contact them within the stage's time: a logged call or visit counts.") % words

    notify(
        recipients=managers_of(startup_id),
        kind=NotificationKind.EXPORTERS_ASSIGNED,
        title=lambda: (
            ngettext(
                "%(count)s new exporter assigned to your startup",
                "%(count)s new exporters assigned to your startup",
                count,
            )
            % words
        ),
        body=body,
        link=reverse("onboarding:exporter-list") + "?mine=false",
        event_key=f"assigned-{startup_id}-{batch_key}",
        startup_id=startup_id,
    )


def notify_exporter_handed(*, exporter: Exporter, agent: User, actor: User | None, when: datetime) -> None:
    if actor is not None and actor.pk == agent.pk:
        return  # a manager who takes an exporter themself needs no notice
    notify(
        recipients=[agent],
        kind=NotificationKind.EXPORTER_HANDED,
        title=lambda: _("%(exporter)s is handed to you") % {"exporter": exporter},
        body=lambda: (
            _("%(actor)s handed you %(exporter)s, %(place)s.")
            % {
                "actor": actor or _("Your manager"),
                "exporter": exporter.legal_name,
                "place": exporter.district or exporter.state_name,
            }
        ),
        link=exporter.get_absolute_url(),
        event_key=f"handed-{exporter.pk}-{agent.pk}-{when.timestamp():.0f}",
        startup_id=exporter.startup_id,
    )


def notify_claim_decided(*, event: StageEvent) -> None:
    """To whoever submitted the claim and the startup's managers: approved, or rejected with the note."""
    rejected = event.status == StageEventStatus.REJECTED
    exporter = event.exporter
    link = reverse("onboarding:exporter-submit-stage", args=[exporter.pk]) if rejected else exporter.get_absolute_url()
    verdict = "rejected" if rejected else "approved"  # the event key's word, not a reader's
    names = {"stage": event.stage, "exporter": exporter}

    def title() -> str:
        if rejected:
            return _("“%(stage)s” for %(exporter)s was rejected") % names
        return _("“%(stage)s” for %(exporter)s was approved") % names

    def body() -> str:
        note = _("Officer's note: %(note)s") % {"note": event.review_note} if event.review_note else ""
        return (note + "\n" + _("Submit it again with what the note asks for.") if rejected else note).strip()

    notify(
        recipients=[event.submitted_by, *managers_of(event.startup_id)],
        kind=NotificationKind.EVIDENCE_REJECTED if rejected else NotificationKind.EVIDENCE_APPROVED,
        title=title,
        body=body,
        link=link,
        event_key=f"claim-{event.pk}-{verdict}",
        startup_id=event.startup_id,
    )


@transaction.atomic
def notifications_claims_decided(*, now: datetime, limit: int = 1000) -> int:
    """The periodic job: tell each startup of the officers' decisions once UNDO_WINDOW has
    passed without an undo, so nothing untrue is ever announced. A claim is marked announced in
    the transaction that makes its notices; concurrent runs skip each other's rows. Returns
    how many decisions were announced."""
    due = (
        StageEvent.objects.announcement_due()
        .filter(reviewed_at__lte=now - UNDO_WINDOW)
        .select_related("exporter", "stage", "submitted_by")
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("reviewed_at", "pk")[:limit]
    )
    events = list(due)
    for event in events:
        notify_claim_decided(event=event)
    StageEvent.objects.filter(pk__in=[e.pk for e in events]).update(announcement_due=False)
    return len(events)


def notify_dispute_opened(*, dispute: Dispute) -> None:
    """To the officers: an exporter disputes a startup's work, which holds its claims."""
    notify(
        recipients=_officers(),
        kind=NotificationKind.DISPUTE_OPENED,
        title=lambda: (
            _("%(exporter)s disputes the work of %(startup)s")
            % {"exporter": dispute.exporter, "startup": dispute.startup}
        ),
        body=lambda: (
            _("%(words)s The startup's claims for this exporter wait until you resolve it.")
            % {"words": dispute.staff_words()}
        ),
        link=reverse("onboarding:dispute-list"),
        event_key=f"dispute-{dispute.pk}-opened-{dispute.opened_at.timestamp():.0f}",
    )


def notify_dispute_resolved(*, dispute: Dispute) -> None:
    """To the startup's managers: the dispute is resolved, with the officer's note."""
    notify(
        recipients=managers_of(dispute.startup_id),
        kind=NotificationKind.DISPUTE_RESOLVED,
        title=lambda: _("The dispute about %(exporter)s is resolved") % {"exporter": dispute.exporter},
        body=lambda: _("Officer's note: %(note)s") % {"note": dispute.resolution},
        link=dispute.exporter.get_absolute_url(),
        event_key=f"dispute-{dispute.pk}-resolved-{dispute.resolved_at.timestamp():.0f}",
        startup_id=dispute.startup_id,
    )


def notify_commission_approved(*, commission: Commission) -> None:
    """To the startup's managers, when a commission is approved (payment is one notice per
    payout: `notify_payout_paid`)."""
    notify(
        recipients=managers_of(commission.startup_id),
        kind=NotificationKind.COMMISSION_APPROVED,
        title=lambda: _("Commission of %(amount)s approved") % {"amount": rupees(commission.amount)},
        body=lambda: _("%(exporter)s, “%(stage)s”.") % {"exporter": commission.exporter, "stage": commission.stage},
        link=reverse("onboarding:commission-list"),
        event_key=f"commission-{commission.pk}-{commission.status}",
        startup_id=commission.startup_id,
    )


def notify_payout_paid(*, payout: Payout) -> None:
    """To the startup's managers, when the bank paid its payout (one notice for all its lines)."""
    notify(
        recipients=managers_of(payout.startup_id),
        kind=NotificationKind.COMMISSION_PAID,
        title=lambda: _("Payout of %(amount)s paid") % {"amount": rupees(payout.net)},
        body=lambda: (
            _("%(period)s payout, UTR %(reference)s: the statement is on the payouts page.")
            % {"period": payout.run.period_label, "reference": payout.payment_reference}
        ),
        link=reverse("onboarding:payout-list"),
        event_key=f"payout-{payout.pk}-paid",
        startup_id=payout.startup_id,
    )


def notify_invitation_accepted(*, user: User) -> None:
    """Once a person invited to a team sets their password: to the managers and whoever invited them."""
    member = StartupMember.objects.active().filter(user=user).select_related("added_by").first()
    invited = OutboxMessage.objects.filter(
        kind=MessageKind.INVITATION, recipient=user, period_key=f"member-{member and member.pk}"
    )
    if member is None or not invited.exists():
        return  # joined with a password of their own: there was no invitation to accept
    notify(
        recipients=[member.added_by, *managers_of(member.startup_id)],
        kind=NotificationKind.INVITATION_ACCEPTED,
        title=lambda: _("%(user)s accepted the invitation") % {"user": user},
        body=lambda: (
            _("%(user)s (%(email)s) set a password and can now sign in as %(role)s.")
            % {"user": user, "email": user.email, "role": member.get_role_display().lower()}
        ),
        link=reverse("onboarding:team"),
        event_key=f"invitation-{member.pk}-accepted",
        startup_id=member.startup_id,
    )


@transaction.atomic
def notifications_evidence_waiting(*, now: datetime) -> int:
    """The periodic job: tell the officers, once a day (IST), how much evidence has waited
    beyond a day. Run again the same day it notices nothing new. Returns notices made."""
    waiting = StageEvent.objects.filter(status=StageEventStatus.SUBMITTED, submitted_at__lt=now - WAITING_AFTER)
    count = waiting.count()
    if not count:
        return 0
    created = notify(
        recipients=_officers(),
        kind=NotificationKind.EVIDENCE_WAITING,
        title=lambda: (
            ngettext(
                "%(count)s claim waiting for review for more than a day",
                "%(count)s claims waiting for review for more than a day",
                count,
            )
            % {"count": count}
        ),
        body=lambda: _("The oldest are first in the review queue."),
        link=reverse("onboarding:review-queue"),
        event_key=f"waiting-{daily_period(now)}",
    )
    return len(created)


# --- The bell ----------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification | None = None) -> int:
    """Mark one of `user`'s notices read (or all of them, with none given); returns how many changed."""
    unread = Notification.objects.for_user(user).unread()
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    return unread.update(read_at=timezone.now())

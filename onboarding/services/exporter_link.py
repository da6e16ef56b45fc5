"""The exporter in the loop: their status link (made, rotated, sent), the daily message that
carries it, the questions about work logged with them, and their answers.

Exporters have no account: the status page acts for them through a link, so the functions
they trigger take the link (already checked by the page) instead of an actor. Refusals they
can meet carry a `code` the page words in the exporter's language.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import MD5, Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from ..control_characters import has_control_characters
from ..models import Activity, ConfirmationRequest, Exporter, ExporterLink, LinkUse, OutboxMessage, StageEvent, User
from ..models.activities import OUTCOME_KINDS
from ..models.contact_changes import ContactChange, ContactChangeStatus, DecidedHow
from ..models.exporter_link import (
    ANSWER_CHANGEABLE,
    CONFIRMED_KINDS,
    CONFIRMED_STAGES,
    Answer,
    ConfirmationKind,
    new_key,
    new_short_code,
    new_short_codes,
)
from ..models.outbox import MessageKind, daily_period, period_end
from .audit import as_actor
from .disputes import dispute_open, dispute_withdraw_by_exporter
from .outbox import NewMessage, outbox_post

COMMENT_MAX = 500
# How long the new link sent after a move is retried.
LINK_RETRY_FOR = timedelta(days=1)
# What is kept of the browser's User-Agent header with an answer: enough to tell a phone
# from a desktop browser, not a fingerprint.
USER_AGENT_KEPT = 200


def exporter_link_get(*, exporter: Exporter) -> ExporterLink:
    """The exporter's link, made on first need (a new random key)."""
    link, _created = ExporterLink.objects.get_or_create(exporter=exporter)
    return link


def exporter_news(*, exporter_id: int, now: datetime | None = None) -> None:
    """Note, in the caller's transaction, that the exporter has something new to be told
    (assignment, stage change, a question): the next daily message carries it."""
    now = now or timezone.now()
    if not ExporterLink.objects.filter(exporter_id=exporter_id).update(news_at=now):
        with transaction.atomic():  # a savepoint: a concurrent first link is not an error
            ExporterLink.objects.get_or_create(exporter_id=exporter_id, defaults={"news_at": now})


def exporters_news(*, exporter_ids: list[int], now: datetime) -> None:
    """`exporter_news` for many exporters at once (auto-assignment): one upsert statement
    (INSERT … ON CONFLICT (exporter) DO UPDATE SET news_at) per 5,000 exporters."""
    links = [ExporterLink(exporter_id=pk, news_at=now) for pk in exporter_ids]
    ExporterLink.objects.bulk_create(
        links, update_conflicts=True, unique_fields=["exporter"], update_fields=["news_at"], batch_size=5000
    )


@transaction.atomic
def exporter_link_rotate(*, actor: User, exporter: Exporter) -> ExporterLink:
    """Revoke every link sent so far, long and short: a new key and short code; the history row
    names who did it."""
    if not actor.is_programme_staff:
        raise PermissionDenied(_("Only programme staff can revoke an exporter's link."))
    link = exporter_link_get(exporter=exporter)
    link = ExporterLink.objects.select_for_update().get(pk=link.pk)
    link.key, link.short_code, link.rotated_at = new_key(), new_short_code(), timezone.now()
    as_actor(link, actor).save(update_fields=["key", "short_code", "rotated_at"])
    return link


@transaction.atomic
def exporter_links_rotate(*, actor: User | None, exporter_ids: Iterable[int], reason: str, now: datetime) -> int:
    """Inside the caller's transaction, when exporters leave a startup: revoke every link sent
    to them so far, long and short (one UPDATE of the keys however many, one of the short codes
    per thousand), write a history row each naming the actor and `reason`, and email the new
    link to each that now has a startup, an email and messages on (through the outbox; that
    message stands for the day's news). Returns how many were emailed."""
    ids = sorted(set(exporter_ids))
    if not ids:
        return 0
    # A link not made yet was never sent; made here so the new one can go out.
    ExporterLink.objects.bulk_create([ExporterLink(exporter_id=pk) for pk in ids], ignore_conflicts=True)
    links = ExporterLink.objects.filter(exporter_id__in=ids)
    # Each row's new key mixes a secret made for this call into its id: unique, unguessable,
    # and set in one statement. (The token's signature, not the key, is what cannot be forged.)
    salt = secrets.token_hex(16)
    links.update(key=MD5(Concat(Value(salt), Cast("pk", CharField()))), rotated_at=now)
    # The short codes are drawn here (`secrets`): SQL has no portable way to spell them.
    rotated = list(links)
    for link, code in zip(rotated, new_short_codes(len(rotated)), strict=True):
        link.short_code = code
    ExporterLink.objects.bulk_update(rotated, ["short_code"], batch_size=1000)
    ExporterLink.history.bulk_history_create(
        rotated, update=True, default_user=actor, default_change_reason=reason[:100], default_date=now
    )
    _contact_changes_end(actor=actor, exporter_ids=ids, now=now)
    due = list(
        Exporter.objects.filter(pk__in=ids, startup__isnull=False, link__opted_out_at__isnull=True)
        .exclude(contact_email="")
        .values_list("pk", "startup_id")
    )
    if not due:
        return 0
    # One message per move: a move the same day as a link sent by hand is still told.
    period, until = f"m{int(now.timestamp())}", now + LINK_RETRY_FOR
    messages = [
        NewMessage(
            kind=MessageKind.EXPORTER_LINK,
            to_exporter_id=pk,
            startup_id=startup_id,
            period_key=period,
            retry_until=until,
            exporter_ids=(pk,),
        )
        for pk, startup_id in due
    ]
    posted = outbox_post(messages, lease=now, skip_existing=True)
    sent = [m.to_exporter_id for m in posted.messages]
    ExporterLink.objects.filter(exporter_id__in=sent).update(told_at=now)
    return len(sent)


def _contact_changes_end(*, actor: User | None, exporter_ids: list[int], now: datetime) -> None:
    """A contact change proposed by a startup that no longer holds the exporter stops waiting
    (replaced; one UPDATE, a history row each)."""
    ended = list(
        ContactChange.objects.pending()
        .filter(exporter_id__in=exporter_ids)
        .exclude(startup_id=F("exporter__startup_id"))
        .select_for_update(of=("self",))
    )
    if not ended:
        return
    for change in ended:
        change.status, change.decided_how = ContactChangeStatus.SUPERSEDED, DecidedHow.LATER
        change.decided_by, change.decided_at = actor, now
    ContactChange.objects.filter(pk__in=[c.pk for c in ended]).update(
        status=ContactChangeStatus.SUPERSEDED, decided_how=DecidedHow.LATER, decided_by=actor, decided_at=now
    )
    reason = "The startup no longer holds the exporter"
    ContactChange.history.bulk_history_create(
        ended, update=True, default_user=actor, default_change_reason=reason, default_date=now
    )


def _message(*, kind: str, exporter: Exporter, now: datetime) -> int:
    """Write the exporter's message to the outbox; returns its row's id."""
    message = NewMessage(
        kind=kind,
        to_exporter_id=exporter.pk,
        startup_id=exporter.startup_id,
        period_key=daily_period(now),
        retry_until=period_end(kind, now),
        exporter_ids=(exporter.pk,),
    )
    return outbox_post([message], lease=now).ids[0]


@transaction.atomic
def exporter_link_resend(*, actor: User, exporter: Exporter) -> int:
    """Programme staff email the exporter their link now, through the outbox; at most once a
    day. Returns the outbox row's id."""
    if not actor.is_programme_staff:
        # The link opens the exporter's own channel: a startup could answer for them with it.
        raise PermissionDenied(_("Only programme staff can send the exporter their link: the programme sends it."))
    if not exporter.contact_email:
        raise ValidationError(_("This exporter has no email address: add one, or share the link or QR code."))
    if exporter_link_get(exporter=exporter).opted_out:
        raise ValidationError(_("The exporter asked for no messages: share the link or QR code in person instead."))
    try:
        with transaction.atomic():
            return _message(kind=MessageKind.EXPORTER_LINK, exporter=exporter, now=timezone.now())
    except IntegrityError:
        raise ValidationError(_("The link was already sent again today: it can be sent again tomorrow.")) from None


@transaction.atomic
def exporter_digests_plan(*, now: datetime, limit: int = 5000) -> int:
    """Plan today's message to each exporter with news since their last one (not opted out,
    with an email), and queue the sends. Idempotent: one per exporter per day."""
    period = daily_period(now)
    already = OutboxMessage.objects.filter(kind=MessageKind.EXPORTER_DIGEST, period_key=period)
    due = list(
        ExporterLink.objects.filter(opted_out_at__isnull=True, news_at__isnull=False)
        .filter(Q(told_at__isnull=True) | Q(news_at__gt=F("told_at")))
        .exclude(exporter__contact_email="")
        .exclude(exporter_id__in=already.values("to_exporter_id"))
        .order_by("pk")
        .values_list("pk", "exporter_id", "exporter__startup_id")[:limit]
    )
    if not due:
        return 0
    lease, until = timezone.now(), period_end(MessageKind.EXPORTER_DIGEST, now)
    messages = [
        NewMessage(
            kind=MessageKind.EXPORTER_DIGEST,
            to_exporter_id=exporter_id,
            startup_id=startup_id,
            period_key=period,
            retry_until=until,
            exporter_ids=(exporter_id,),
        )
        for _pk, exporter_id, startup_id in due
    ]
    posted = outbox_post(messages, lease=lease, skip_existing=True)  # a concurrent run's rows win
    told = [m.to_exporter_id for m in posted.messages]
    ExporterLink.objects.filter(exporter_id__in=told).update(told_at=lease)
    return len(told)


# --- Questions to the exporter ------------------------------------------------------------


def confirmation_ask_activity(*, activity: Activity) -> ConfirmationRequest | None:
    """In the caller's transaction: ask the exporter whether a logged training, or a call or
    visit that reached them, happened (nothing for other work, nor for an unanswered call)."""
    if activity.kind not in CONFIRMED_KINDS:
        return None
    if activity.kind in OUTCOME_KINDS and not activity.reached:
        return None  # "did X call you?" after no answer would only confuse the exporter
    person = (activity.user.get_full_name() or "") if activity.user else ""
    now = timezone.now()
    asked = ConfirmationRequest.objects.create(
        exporter_id=activity.exporter_id,
        startup_id=activity.startup_id,
        activity=activity,
        kind=activity.kind,
        person=person[:150],
        occurred_at=activity.occurred_at,
        created_at=now,
    )
    exporter_news(exporter_id=activity.exporter_id, now=now)
    return asked


def confirmation_ask_milestone(*, event: StageEvent) -> ConfirmationRequest | None:
    """In the caller's transaction: ask about a claimed milestone the exporter can see
    for themselves (their storefront is live)."""
    if event.stage.code not in CONFIRMED_STAGES or event.startup_id is None:
        return None
    person = (event.submitted_by.get_full_name() or "") if event.submitted_by else ""
    asked = ConfirmationRequest.objects.create(
        exporter_id=event.exporter_id,
        startup_id=event.startup_id,
        stage_event=event,
        kind=ConfirmationKind.MILESTONE,
        person=person[:150],
        what=event.stage.code,
        occurred_at=event.submitted_at,
        created_at=event.submitted_at,
    )
    exporter_news(exporter_id=event.exporter_id, now=event.submitted_at)
    return asked


# --- What the exporter does on the status page --------------------------------------------


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError("too_long", code="too_long")
    if has_control_characters(comment):
        raise ValidationError("control_characters", code="control_characters")
    return comment


@transaction.atomic
def confirmation_answer(
    *,
    link: ExporterLink,
    confirmation_id: int,
    answer: str,
    comment: str = "",
    address: str = "",
    user_agent: str = "",
) -> bool:
    """Record the exporter's yes or no (and comment) on one of their own questions, with the
    network and browser it came from. Returns False when nothing changed (the same answer tapped again)."""
    if answer not in Answer.values:
        raise ValidationError("unknown_answer", code="unknown_answer")
    comment = _clean_comment(comment)
    asked = (
        ConfirmationRequest.objects.select_for_update(of=("self",))
        .select_related("stage_event")
        .filter(exporter_id=link.exporter_id, pk=confirmation_id)
        .first()
    )
    if asked is None:
        raise ValidationError("not_yours", code="not_yours")
    now = timezone.now()
    if asked.withdrawn:
        raise ValidationError("withdrawn", code="withdrawn")
    if not asked.changeable(now):
        raise ValidationError("too_late", code="too_late")
    if asked.answer == answer and asked.comment == comment:
        return False
    asked.answer, asked.comment, asked.answered_at = answer, comment, now
    asked.first_answered_at = asked.first_answered_at or now
    asked.answered_network, asked.answered_user_agent = answered_from(address, user_agent)
    fields = ["answer", "comment", "answered_at", "first_answered_at", "answered_network", "answered_user_agent"]
    asked.save(update_fields=fields)
    if answer == Answer.NO:
        dispute_open(confirmation=asked)
    else:
        dispute_withdraw_by_exporter(confirmation=asked)
    return True


def answered_from(address: str, user_agent: str) -> tuple[str, str]:
    """(network, user agent) as a confirmation keeps them: the /24 or /48 and the first
    USER_AGENT_KEPT characters of what the browser says it is."""
    return network_of(address), (user_agent or "").strip()[:USER_AGENT_KEPT]


@transaction.atomic
def exporter_report_no_contact(
    *, link: ExporterLink, comment: str = "", address: str = "", user_agent: str = ""
) -> ConfirmationRequest:
    """ "Nobody has contacted me": a flag against the startup holding the exporter, with the
    network and browser it came from. Tapped again within a week it updates the same flag."""
    comment = _clean_comment(comment)
    exporter = Exporter.objects.select_for_update().get(pk=link.exporter_id)
    if exporter.startup_id is None:
        raise ValidationError("no_startup", code="no_startup")
    now = timezone.now()
    recent = (
        ConfirmationRequest.objects.filter(
            exporter=exporter, startup_id=exporter.startup_id, kind=ConfirmationKind.NO_CONTACT
        )
        .filter(created_at__gte=now - ANSWER_CHANGEABLE)
        .first()
    )
    network, agent = answered_from(address, user_agent)
    if recent is not None:
        if comment and comment != recent.comment:
            recent.comment, recent.answered_at = comment, now
            recent.answered_network, recent.answered_user_agent = network, agent
            recent.save(update_fields=["comment", "answered_at", "answered_network", "answered_user_agent"])
        dispute_open(confirmation=recent)  # open again if an officer resolved it meanwhile
        return recent
    flag = ConfirmationRequest.objects.create(
        exporter=exporter,
        startup_id=exporter.startup_id,
        kind=ConfirmationKind.NO_CONTACT,
        answer=Answer.NO,
        comment=comment,
        occurred_at=now,
        created_at=now,
        first_answered_at=now,
        answered_at=now,
        answered_network=network,
        answered_user_agent=agent,
    )
    dispute_open(confirmation=flag)
    return flag


@transaction.atomic
def exporter_opt_out(*, link: ExporterLink, opt_out: bool) -> ExporterLink:
    """Stop (or restart) every message to the exporter; the senders check it at send time."""
    link = ExporterLink.objects.select_for_update().get(pk=link.pk)
    link.opted_out_at = timezone.now() if opt_out else None
    link.save(update_fields=["opted_out_at"])
    return link


def network_of(address: str) -> str:
    """The client's /24 (IPv4) or /48 (IPv6), never the full address; "" when unreadable."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


def link_use_record(*, link: ExporterLink, address: str, action: str) -> None:
    """Count one use of the link on the exporter's timeline: the day's row for this action gets
    its count, last time and network raised, or is created. One UPDATE for every use but the
    day's first; two first uses at the same instant may make two rows, which only shows twice."""
    now, action, network = timezone.now(), action[:40], network_of(address)
    day_rows = LinkUse.objects.filter(exporter_id=link.exporter_id, day=timezone.localdate(now), action=action)
    if not day_rows.update(at=now, count=F("count") + 1, **({"network": network} if network else {})):
        LinkUse.objects.create(
            exporter_id=link.exporter_id,
            at=now,
            first_at=now,
            day=timezone.localdate(now),
            network=network,
            action=action,
        )

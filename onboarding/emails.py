"""One function per kind of email; each renders templates/emails/<kind>_{subject,body}.{txt,html}.

Every email is one row of the outbox (a OutboxMessage, services/outbox.py), which hands in the
connection to send on; the row also names the message: `message_id_for` derives it,
so a resend after a crash carries the same Message-ID and mail systems collapse the two.

Each email is in one language, its reader's: the outbox composes it inside
`translation.override(language_of(message))` (services/outbox.py), so its subject, body and
dates are in that language whatever language the request or worker that queued it ran in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import get_language, ngettext_lazy

# The languages an email can be written in (settings.LANGUAGES): English (India) or Hindi.
ENGLISH, HINDI = "en-in", "hi"

# The durations the emails write with `|timesince` ("4 weeks, 2 days" stalled): Django's own
# Hindi catalogue leaves them in English. Named here (Django's msgids, word for word), they are
# in the portal's catalogue, which Django reads first.
TIMESINCE_WORDS = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)


def language_of(message) -> str:
    """The language of an outbox row's email: its recipient's (`User.reads`), or for an
    exporter (no account) Hindi when their preferred language is Hindi, else English."""
    if message.recipient_id is not None:
        return message.recipient.reads
    exporter = message.to_exporter if message.to_exporter_id is not None else None
    return HINDI if exporter is not None and exporter.preferred_language == "hi" else ENGLISH


def absolute_url(name: str, *args) -> str:
    """A link for an email: `reverse()` on the site's base address (emails have no request)."""
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping: "Tom & Jerry" stays "Tom & Jerry",
    not "Tom &amp; Jerry". Only for text/plain parts and subjects; HTML bodies keep escaping."""
    return engines["django"].engine.get_template(template_name).render(Context(context, autoescape=False))


def message_id_for(message) -> str:
    """The stable Message-ID of an outbox row, e.g. <reminder-42@portal.example.in>. The
    "reminder-" prefix predates the outbox's name and stays: a row sent again after an
    upgrade must carry the Message-ID its first copy had, so the receiver drops the copy."""
    return f"<reminder-{message.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}>"


def _send(kind: str, to: str, context: dict, *, message_id: str = "", connection=None) -> str:
    # Templates link with `{{ site_url }}{% url … %}`: the same base as absolute_url.
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_text(f"emails/{kind}_subject.txt", context).split())
    text = render_text(f"emails/{kind}_body.txt", context)
    html = render_to_string(f"emails/{kind}_body.html", context)
    email = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    email.attach_alternative(html, "text/html")
    if message_id:
        email.extra_headers["Message-ID"] = message_id
    email.connection = connection  # the outbox's, held open until it has recorded the answer
    email.send()
    return subject


def set_password_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url("password_reset_confirm", uid, token)


def send_set_password(message, *, connection=None) -> str:
    """Welcome a new startup member (the row's recipient) with a link to choose their password."""
    user = message.recipient
    return _send(
        "set_password",
        user.email,
        {"user": user, "startup": message.startup, "link": set_password_link(user)},
        message_id=message_id_for(message),
        connection=connection,
    )


def send_two_factor_failures(message, *, connection=None) -> str:
    """To an account's owner: wrong two-factor codes in a row, so their password may be known to someone else."""
    return _send_to_member(
        "two_factor_failures",
        message,
        connection,
        password_url=absolute_url("password_change"),
        max_wait=settings.TWO_FACTOR_MAX_WAIT_MINUTES,
    )


# --- Reminders (services/reminders.py decides who gets what; these only render and send) ---


def _send_to_member(kind: str, message, connection, **context) -> str:
    context = {
        "message": message,
        "user": message.recipient,
        "period": message.period,  # in the email's language, which is active here
        "preferences_url": absolute_url("onboarding:preferences"),
        **context,
    }
    return _send(kind, message.recipient.email, context, message_id=message_id_for(message), connection=connection)


def send_stalled_digest(message, *, exporters: list, now, connection=None) -> str:
    """A startup manager's (or agent's) stalled exporters, longest waiting first."""
    return _send_to_member(
        "stalled_digest",
        message,
        connection,
        startup=message.startup,
        exporters=exporters,
        count=len(exporters),
        now=now,
    )


def send_escalation(message, *, groups: list, count: int, now, connection=None) -> str:
    """To an officer: exporters stalled beyond twice their SLA, grouped by startup."""
    return _send_to_member("escalation", message, connection, groups=groups, count=count, now=now)


def send_review_waiting(message, *, events: list, now, connection=None) -> str:
    """To an officer: evidence waiting for review for more than two days."""
    return _send_to_member("review_waiting", message, connection, events=events, count=len(events), now=now)


def send_undelivered(message, *, messages: list, connection=None) -> str:
    """To an officer: the messages that could not be delivered since the last such report."""
    return _send_to_member(
        "undelivered",
        message,
        connection,
        messages=messages,
        count=len(messages),
        log_url=absolute_url("onboarding:outbox"),
    )


def send_weekly_startup(message, *, digest: dict, connection=None) -> str:
    """A startup's weekly pipeline: funnel, what moved, what is due."""
    return _send_to_member("weekly_startup", message, connection, **digest)


def send_weekly_programme(message, *, digest: dict, connection=None) -> str:
    """The admins' weekly programme summary."""
    return _send_to_member("weekly_programme", message, connection, **digest)


def send_exporter_status(message, *, link, questions: list, contact_change=None, connection=None) -> str:
    """To an exporter (no account): their status link, with the questions still open and a
    contact change waiting for their answer."""
    exporter = link.exporter
    context = {
        "exporter": exporter,
        "contact_change": contact_change,
        "link": absolute_url("onboarding:exporter-status", link.token()),
        # In the email's one language (the exporter's, see language_of).
        "questions": [q.question("hi" if get_language() == HINDI else "en") for q in questions],
        "days": settings.EXPORTER_LINK_DAYS,
        "helpline": settings.PROGRAMME_HELPLINE,
    }
    return _send(
        "exporter_status", exporter.contact_email, context, message_id=message_id_for(message), connection=connection
    )


def send_notification(message, *, notification, connection=None) -> str:
    """The email of one in-app notification: its title, text and link into the portal."""
    link = settings.SITE_URL.rstrip("/") + notification.link if notification.link.startswith("/") else ""
    return _send_to_member("notification", message, connection, notification=notification, link=link)

"""One function per kind of email; each renders templates/emails/<kind>_{subject,body}.{txt,html}."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def absolute_url(name: str, *args) -> str:
    """A link for an email: `reverse()` on the site's base address (emails have no request)."""
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping: "Tom & Jerry" stays "Tom & Jerry",
    not "Tom &amp; Jerry". Only for text/plain parts and subjects; HTML bodies keep escaping."""
    return engines["django"].engine.get_template(template_name).render(Context(context, autoescape=False))


def _send(kind: str, to: str, context: dict) -> str:
    # Templates link with `{{ site_url }}{% url … %}`: the same base as absolute_url.
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_text(f"emails/{kind}_subject.txt", context).split())
    text = render_text(f"emails/{kind}_body.txt", context)
    html = render_to_string(f"emails/{kind}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
    return subject


def set_password_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url("password_reset_confirm", uid, token)


def send_set_password(user) -> None:
    """Welcome a new startup member with a link to choose their password."""
    membership = user.active_membership
    _send(
        "set_password",
        user.email,
        {"user": user, "startup": membership.startup if membership else None, "link": set_password_link(user)},
    )


# --- Reminders (services/reminders.py decides who gets what; these only render and send) ---


def _reminder_context(reminder, **context) -> dict:
    return {
        "reminder": reminder,
        "user": reminder.recipient,
        "preferences_url": absolute_url("onboarding:preferences"),
        **context,
    }


def send_stalled_digest(reminder, *, exporters: list, now) -> str:
    """A startup manager's (or agent's) stalled exporters, longest waiting first."""
    return _send(
        "stalled_digest",
        reminder.recipient.email,
        _reminder_context(reminder, startup=reminder.startup, exporters=exporters, count=len(exporters), now=now),
    )


def send_escalation(reminder, *, groups: list, count: int, now) -> str:
    """To an officer: exporters stalled beyond twice their SLA, grouped by startup."""
    return _send(
        "escalation", reminder.recipient.email, _reminder_context(reminder, groups=groups, count=count, now=now)
    )


def send_review_waiting(reminder, *, events: list, now) -> str:
    """To an officer: evidence waiting for review for more than two days."""
    return _send(
        "review_waiting",
        reminder.recipient.email,
        _reminder_context(reminder, events=events, count=len(events), now=now),
    )


def send_weekly_startup(reminder, *, digest: dict) -> str:
    """A startup's weekly pipeline: funnel, what moved, what is due."""
    return _send("weekly_startup", reminder.recipient.email, _reminder_context(reminder, **digest))


def send_weekly_programme(reminder, *, digest: dict) -> str:
    """The admins' weekly programme summary."""
    return _send("weekly_programme", reminder.recipient.email, _reminder_context(reminder, **digest))

"""One function per kind of email; each renders templates/emails/<kind>_{subject,body}.{txt,html}."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def _send(kind: str, to: str, context: dict) -> None:
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
    text = render_to_string(f"emails/{kind}_body.txt", context)
    html = render_to_string(f"emails/{kind}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def set_password_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def send_set_password(user) -> None:
    """Welcome a new startup member with a link to choose their password."""
    membership = user.active_membership
    _send(
        "set_password",
        user.email,
        {"user": user, "startup": membership.startup if membership else None, "link": set_password_link(user)},
    )

"""Sign-in and password-reset throttling: the client's real address behind the load balancer,
the page shown when django-axes locks a sign-in out, and the throttled password-reset request."""

from __future__ import annotations

import ipaddress

from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..services.throttling import password_reset_allowed

RESET_REFUSAL = gettext_lazy(
    "Too many password-reset requests for this address or from your network in the last hour. "
    "Check your inbox (and spam folder) for the link already sent, or try again in an hour."
)


def _address(text: str) -> str | None:
    """A bare IP address from one hop of X-Forwarded-For (some proxies add a port), else None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address django-axes keys lockouts on (AXES_CLIENT_IP_CALLABLE), and the reset throttle too.

    Each of the TRUSTED_PROXY_COUNT proxies in front of the app appends the address it received the
    request from to X-Forwarded-For, so the client is the N-th entry from the right; anything left of
    it was written by the client and is ignored. With no proxy the header is ignored altogether.
    A header shorter than promised, or garbage, falls back to the connecting address.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count and (address := _address(hops[-count])):
            return address
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): a page with the wait in words and the
    password-reset link, or the same in JSON for the API; 429 either way."""
    now = timezone.now()
    cool_off = get_cool_off(request)
    wait = timeuntil(now + cool_off, now) if cool_off else ""
    api = request.resolver_match is not None and request.resolver_match.namespace == "api"
    if api or request.headers.get("x-requested-with") == "XMLHttpRequest":
        detail = _("Too many failed sign-ins for this account from your network.")
        detail += (
            " " + _("Try again in %(wait)s, or reset your password.") % {"wait": wait}
            if wait
            else " " + _("Ask a programme admin to unlock it.")
        )
        # The API's error shape (onboarding/api/binding.py `error_body`).
        body = {"detail": detail, "code": "throttled", "errors": {}}
        return JsonResponse(body, status=settings.AXES_HTTP_RESPONSE_CODE)
    return render(request, "registration/lockout.html", {"wait": wait}, status=settings.AXES_HTTP_RESPONSE_CODE)


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password-reset request, limited per email address and per client address.
    The refusal is the same whether or not an account uses the address."""

    def form_valid(self, form):
        allowed = password_reset_allowed(
            email=form.cleaned_data["email"], client_ip=get_client_ip_address(self.request)
        )
        if not allowed:
            form.add_error(None, RESET_REFUSAL)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


password_reset_view = ThrottledPasswordResetView.as_view()

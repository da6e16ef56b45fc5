"""Two-factor sign-in pages: set up an authenticator app, keep recovery codes, and enter a code
after the password. Who must come here first is decided by `access.TwoFactorMiddleware`."""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from ..forms.users import TwoFactorConfirmForm, TwoFactorVerifyForm
from ..services.users import (
    user_pending_authenticator,
    user_recovery_codes_regenerate,
    user_two_factor_confirm,
    user_two_factor_disable,
    user_two_factor_start,
    user_two_factor_verify,
)
from .access import report_refusal
from .throttling import client_ip


def _next(request) -> str:
    """Where to go once done: the page the person was sent away from, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("onboarding:home")


def _setup(device) -> dict:
    """What an authenticator app needs: the otpauth URI as a QR code (SVG drawn here, no script),
    and the secret as text for typing in."""
    svg = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    secret = b32encode(device.bin_key).decode()
    # The SVG holds only the code's squares as path data, made from our own URI.
    return {"qr": mark_safe(svg), "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))}


@never_cache
@login_required
def two_factor(request, form=None):
    """Whether two-factor sign-in is on; the set-up in progress (QR code, secret, first code)."""
    user = request.user
    pending = None if user.two_factor_enabled else user_pending_authenticator(user)
    codes_left = StaticToken.objects.filter(device__user=user).count() if user.two_factor_enabled else 0
    context = {
        "pending": _setup(pending) if pending else None,
        "form": form or TwoFactorConfirmForm(),
        "codes_left": codes_left,
        "next": _next(request),
    }
    return render(request, "onboarding/two_factor_status.html", context)


@login_required
@require_POST
def two_factor_start(request):
    try:
        user_two_factor_start(user=request.user)
    except ValidationError as refusal:
        report_refusal(request, refusal)
    else:
        messages.info(request, _("Add the account to your authenticator app, then type the code it shows."))
    return redirect(f"{reverse('onboarding:two-factor')}?{urlencode({'next': _next(request)})}")


@never_cache
@login_required
@require_POST
def two_factor_confirm(request):
    form = TwoFactorConfirmForm(request.POST)
    if form.is_valid():
        try:
            result = user_two_factor_confirm(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as refusal:
            report_refusal(request, refusal, form)
        else:
            request.session.cycle_key()
            otp_login(request, result.device)
            messages.success(request, _("Two-factor sign-in is on. Save your recovery codes now: they are shown once."))
            return _codes(request, result.recovery_codes)
    return two_factor(request, form=form)


def _codes(request, codes: list[str]):
    return render(request, "onboarding/two_factor_codes.html", {"codes": codes, "next": _next(request)})


@never_cache
@login_required
@require_POST
def two_factor_codes(request):
    try:
        codes = user_recovery_codes_regenerate(user=request.user)
    except ValidationError as refusal:
        report_refusal(request, refusal)
        return redirect("onboarding:two-factor")
    messages.success(request, _("New recovery codes made: the old ones no longer work. Save these now."))
    return _codes(request, codes)


@login_required
@require_POST
def two_factor_disable(request):
    try:
        user_two_factor_disable(actor=request.user, user=request.user)
    except PermissionDenied as refusal:
        report_refusal(request, refusal)
    else:
        messages.success(request, _("Two-factor sign-in is off: your password alone signs you in."))
    return redirect("onboarding:two-factor")


@never_cache
@login_required
def two_factor_verify(request):
    """After the password: a code from the authenticator app or a recovery code, once per session."""
    user = request.user
    if user.is_verified() or not user.two_factor_enabled:
        return redirect(_next(request))
    form = TwoFactorVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = user_two_factor_verify(user=user, code=form.cleaned_data["code"], address=client_ip(request))
        except ValidationError as refusal:
            report_refusal(request, refusal, form)
        else:
            # A new session key for the now fully signed-in session.
            request.session.cycle_key()
            otp_login(request, device)
            _welcome(request, device)
            return redirect(_next(request))
    return render(request, "onboarding/two_factor_verify.html", {"form": form, "next": _next(request)})


def _welcome(request, device) -> None:
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        messages.warning(
            request,
            _("Signed in with a recovery code; %(left)s left. Running low? Make new ones on the two-factor page.")
            % {"left": left},
        )
    else:
        messages.success(request, _("Signed in."))

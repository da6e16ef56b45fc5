"""A person's own API access: their tokens listed, a new one shown once, one or all revoked."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from ..services.users import api_token_create, api_token_revoke, api_tokens_revoke_all
from .access import member_required, report_refusal


def _page(request, new_key: str = "") -> HttpResponse:
    context = {
        # Expired tokens stay listed (knox deletes them only when one is used) so their owner sees why.
        "tokens": AuthToken.objects.filter(user=request.user).order_by("-created"),
        "new_key": new_key,
        "now": timezone.now(),
        "token_days": settings.API_TOKEN_DAYS,
    }
    return render(request, "onboarding/account_api.html", context)


@member_required
def api_access(request):
    return _page(request)


@member_required
@require_POST
@never_cache  # the page carries the new key: no cache may keep it
def api_token_create_view(request):
    # Rendered, not redirected: the key then never sits in a session or a message cookie.
    try:
        token, key = api_token_create(user=request.user)
    except ValidationError as refusal:  # at the cap of live tokens
        report_refusal(request, refusal)
        return redirect("onboarding:account-api")
    until = timezone.localtime(token.expiry)
    messages.success(
        request,
        _("Token created. It works until %(date)s. Copy it now: it is shown only this once.")
        % {"date": format_date(until, "d M Y")},
    )
    return _page(request, new_key=key)


@member_required
@require_POST
def api_token_revoke_view(request, digest: str):
    # Only the signed-in person's own tokens: anyone else's digest is a 404, like one that never was.
    token = get_object_or_404(AuthToken, user=request.user, digest=digest)
    api_token_revoke(actor=request.user, token=token)
    messages.success(
        request,
        _("Token %(start)s… revoked: requests sending it are refused from now on.") % {"start": token.token_key[:8]},
    )
    return redirect("onboarding:account-api")


@member_required
@require_POST
def api_tokens_revoke_all_view(request):
    count = api_tokens_revoke_all(actor=request.user, user=request.user)
    if count:
        messages.success(
            request,
            _("All your tokens (%(count)s) are revoked: integrations using them need a new one.") % {"count": count},
        )
    else:
        messages.info(request, _("You had no tokens to revoke."))
    return redirect("onboarding:account-api")

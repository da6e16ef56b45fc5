"""Who may use which page, and how a service's refusal reaches the person.

Every view declares its audience with `role_required` (or one of its named forms).
A startup user who opens another startup's exporter or startup through any URL,
even a staff-only one, gets the same 404 as for an id that does not exist: a 403
there would confirm the object exists. Their own startup's objects on a page their
role may not use are a plain 403.

Before any of that, `TwoFactorMiddleware` sends whoever owes a second factor to enter a code
(or, for programme admins without one, to set it up).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.users import EVERYONE, STAFF, Role


def role_required(*roles: str, model=None):
    """Let `roles` use the view. With `model`, the view takes the object's `pk` and anyone
    else gets 404 unless that object is visible to them (then 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                if model is not None:
                    get_object_or_404(model.objects.visible_to(request.user), pk=kwargs["pk"])
                raise PermissionDenied(_("Your role cannot use this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def object_view(model, *roles: str):
    """`role_required(*roles, model=model)`: a view of one `model` object for `roles`."""
    return role_required(*roles, model=model)


# Programme staff: admins and officers.
staff_required = role_required(*STAFF)
# Programme settings, startup registration, payouts.
admin_required = role_required(Role.ADMIN)
# Anyone with a role: staff or a member of a startup.
member_required = role_required(*EVERYONE)
# A startup's own managers (team management).
manager_required = role_required(Role.MANAGER)


def report_refusal(request, refusal: ValidationError | PermissionDenied, form=None) -> None:
    """Show a service's refusal: beside the field it names (or on top of `form`), else as
    error messages on the next page."""
    if form is not None and isinstance(refusal, ValidationError):
        if hasattr(refusal, "error_dict"):
            for field, errors in refusal.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, refusal)
        if hasattr(form, "keep_uploads"):  # its good files are not lost to the refusal (forms/kept_uploads.py)
            form.keep_uploads()
        return
    texts = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal) or _("You cannot do that.")]
    for text in texts:
        messages.error(request, text)


# --- Two-factor sign-in -------------------------------------------------------------------

VERIFY, ENROL = "verify", "enrol"
# The exporter's status page (/e/<token>/, and its short link /s/<code>/): public, no sign-in of any kind.
PUBLIC_PREFIXES = ("/e/", "/s/")
# The pages a person may still open while they owe a second factor.
TWO_FACTOR_PAGES = {
    VERIFY: ("onboarding:two-factor-verify", "logout"),
    ENROL: ("onboarding:two-factor", "onboarding:two-factor-start", "onboarding:two-factor-confirm", "logout"),
}
TWO_FACTOR_MESSAGES = {
    VERIFY: gettext_lazy("Enter a code from your authenticator app to finish signing in."),
    ENROL: gettext_lazy("Programme admins sign in with a second factor: set up an authenticator app to continue."),
    "admin": gettext_lazy("Django admin needs two-factor sign-in: set up an authenticator app first."),
}


def two_factor_step(request) -> str | None:
    """What the signed-in person still owes before this request: a code (VERIFY), setting up an
    authenticator (ENROL), or nothing. Reads the user row only: no query."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if user.two_factor_enabled:
        return VERIFY
    if user.must_use_two_factor or (user.is_staff and request.path.startswith(reverse("admin:index"))):
        return ENROL
    return None


class TwoFactorMiddleware:
    """Goes after django-otp's OTPMiddleware, which marks a session verified by a device.

    Whoever owes a second factor gets only the pages that settle it (and sign-out); everything
    else redirects there, Django admin included. Under /api/ such a half-signed-in session is
    simply not a sign-in: token-authenticated calls, which never use the session, go on as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = two_factor_step(request)
        # The exporter's status page needs no sign-in, so a half-signed-in session owes nothing there.
        if step is None or request.path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        if request.path in {reverse(name) for name in TWO_FACTOR_PAGES[step]}:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            request.user = AnonymousUser()
            return self.get_response(request)
        name = "onboarding:two-factor-verify" if step == VERIFY else "onboarding:two-factor"
        target = reverse(name)
        if request.method == "GET":
            reason = step if step == VERIFY or request.user.must_use_two_factor else "admin"
            messages.warning(request, TWO_FACTOR_MESSAGES[reason])
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)

"""Which language a page is in: the account's for a signed-in person, else the visitor's choice
(the language cookie) or browser; and the switch at the top of every page that changes it."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..services.users import user_set_language


def account_language(get_response):
    """Middleware after authentication: a signed-in person reads the language saved on their account,
    on any device, whatever LocaleMiddleware guessed from the cookie or the browser; the API is
    always in English."""

    def middleware(request):
        if request.path.startswith("/api/"):
            # The API answers programs: its texts stay in one language whatever the caller's
            # headers, as its field names and codes do.
            wanted = settings.LANGUAGE_CODE
        else:
            user = request.user
            wanted = user.language if user.is_authenticated and user.language else request.LANGUAGE_CODE
        if wanted != request.LANGUAGE_CODE:
            translation.activate(wanted)
            request.LANGUAGE_CODE = wanted
        return get_response(request)

    return middleware


def language_from_sign_in(sender, request, user, **kwargs):
    """`user_logged_in` receiver: a person who never chose keeps the language they signed in with
    (their phone's, or the one picked on the sign-in page), for their emails too."""
    language = getattr(request, "LANGUAGE_CODE", "")
    if not user.language and language in dict(settings.LANGUAGES):
        user_set_language(user=user, language=language)


@require_POST
def switch(request):
    """Show the portal in the chosen language from now on: saved on the account when signed in, and
    in the cookie, so the sign-in page and a shared phone keep it after signing out."""
    language = request.POST.get("language", "")
    goto = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(goto, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        goto = "onboarding:home"
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Choose English or हिन्दी."))
        return redirect(goto)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    translation.activate(language)
    name = dict(settings.LANGUAGES)[language]
    messages.success(request, _("The portal is now in %(language)s.") % {"language": name})
    response = redirect(goto)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response

"""Security headers Django does not set by itself.

The Content-Security-Policy comes from django-csp (its policy is CONTENT_SECURITY_POLICY in
settings); this module narrows one exception, adds a Permissions-Policy, and keeps what a
signed-in person sees (and every download) out of browser and proxy caches. Django's own
SecurityMiddleware sets nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and HSTS, and
XFrameOptionsMiddleware X-Frame-Options.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import FileResponse
from django.utils.cache import add_never_cache_headers

# Pages built from other projects' templates: Django admin's changelist has a <style>
# block, DRF's browsable API and Swagger UI (drf-spectacular) style="" attributes and
# <style> blocks. There, and only there, inline styles are allowed; scripts never are.
THIRD_PARTY_PAGES = ("/admin/", "/api/")

# Browser features no page of the portal uses: a script injected despite the CSP still
# cannot reach the camera, microphone, location, payments or USB devices.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with inline styles allowed on the third-party pages only."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(THIRD_PARTY_PAGES):
            update = dict(parts.update or {})
            update["style-src"] = [*update.get("style-src", []), UNSAFE_INLINE]
            parts.update = update
        return parts


def permissions_policy(get_response):
    """Middleware: the Permissions-Policy header on every response."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


def _is_download(response) -> bool:
    return isinstance(response, FileResponse) or response.headers.get("Content-Disposition", "").startswith(
        "attachment"
    )


def no_store_when_signed_in(get_response):
    """Middleware: `Cache-Control: no-store` (Django's never-cache set) on every response to a
    signed-in person (pages, JSON, the API by session or token) and on every download, so a shared
    computer's browser or a proxy keeps no copy of a list, export, statement or evidence file.

    A response that set its own Cache-Control keeps it: those are deliberate (a download's
    `private, no-store`, `never_cache` views). Anonymous pages (sign-in, static files served before
    this runs) are left alone: they hold nobody's data; the exporter's status page is `never_cache`."""

    def middleware(request):
        response = get_response(request)
        if "Cache-Control" in response.headers:
            return response
        # DRF copies a token-authenticated user onto the Django request, so API calls count too.
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or _is_download(response):
            add_never_cache_headers(response)
        return response

    return middleware

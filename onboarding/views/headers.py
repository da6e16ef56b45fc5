"""Security headers Django does not set by itself.

The Content-Security-Policy comes from django-csp (its policy is CONTENT_SECURITY_POLICY in
settings); this module narrows one exception, and adds a Permissions-Policy. Django's own
SecurityMiddleware sets nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and HSTS, and
XFrameOptionsMiddleware X-Frame-Options.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

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

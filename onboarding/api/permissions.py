"""Who may use what in the API, mirroring the pages' `views/access.py`.

Object routes defer their role check until the object has been fetched through
`visible_to(user)`: another startup's object is a 404 whatever the method, and only
the user's own startup's objects answer 403 for a role that may not act on them.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..models.users import EVERYONE, STAFF, Role


class HasRole(BasePermission):
    """Anyone with a role: programme staff or a current member of a startup (like `member_required`)."""

    message = "Your account has no role in the programme."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role in EVERYONE)


def _writes_for(*roles: str, label: str) -> type[BasePermission]:
    class WritesFor(BasePermission):
        message = f"Only {label} can change this."

        def has_permission(self, request, view) -> bool:
            if request.method in SAFE_METHODS or view.detail:
                return True  # object routes: decided in has_object_permission, after the scoped fetch
            return request.user.role in roles

        def has_object_permission(self, request, view, obj) -> bool:
            return request.method in SAFE_METHODS or request.user.role in roles

    WritesFor.__name__ = f"WritesFor{''.join(r.title() for r in roles)}"
    return WritesFor


StaffWrites = _writes_for(*STAFF, label="programme staff")
AdminWrites = _writes_for(Role.ADMIN, label="programme admins")

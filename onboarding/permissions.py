"""Who may use what. Every view declares its audience with one of these."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Role


def _role_required(*roles: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("Your role cannot use this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Programme staff: admins and officers.
staff_required = _role_required(Role.ADMIN, Role.OFFICER)
# Programme settings, startup registration, payouts.
admin_required = _role_required(Role.ADMIN)
# Anyone with a role: staff or a member of a startup.
member_required = _role_required(Role.ADMIN, Role.OFFICER, Role.MANAGER, Role.AGENT)
# A startup's own managers (team management).
manager_required = _role_required(Role.MANAGER)

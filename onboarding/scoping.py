"""Object views for a narrower audience that still answer 404 to other startups.

A startup user who opens another startup's exporter or startup through any URL,
even a staff-only one, gets the same 404 as for an id that does not exist: a 403
there would confirm the object exists. Their own startup's objects on a page their
role may not use are a plain 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Role

STAFF = (Role.ADMIN, Role.OFFICER)


def object_view(model, *roles: str):
    """Let `roles` use the view; everyone else gets 404 unless `model` pk is visible to them, then 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, pk: int, *args, **kwargs):
            if request.user.role not in roles:
                get_object_or_404(model.objects.visible_to(request.user), pk=pk)
                raise PermissionDenied("Your role cannot use this page.")
            return view(request, pk, *args, **kwargs)

        return wrapped

    return decorator

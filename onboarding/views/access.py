"""Who may use which page, and how a service's refusal reaches the person.

Every view declares its audience with `role_required` (or one of its named forms).
A startup user who opens another startup's exporter or startup through any URL,
even a staff-only one, gets the same 404 as for an id that does not exist: a 403
there would confirm the object exists. Their own startup's objects on a page their
role may not use are a plain 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404

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
                raise PermissionDenied("Your role cannot use this page.")
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
        return
    texts = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal) or "You cannot do that."]
    for text in texts:
        messages.error(request, text)

from .models import Role


def navigation(request) -> dict:
    """The signed-in user's role, for the navbar (one cached membership query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = user.role
    return {
        "nav_role": role,
        "nav_is_staff": role in (Role.ADMIN, Role.OFFICER),
        "nav_is_admin": role == Role.ADMIN,
        "nav_startup": user.startup if role in (Role.MANAGER, Role.AGENT) else None,
    }

"""Finding one's way: the navbar's figures for every page (a context processor, see
settings), and where a form goes back to after it is posted (`safe_next`)."""

from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme

from ..models import Notification, Role, StageEvent
from ..models.stages import StageEventStatus

# The sidebar's badge reads "99+" past 99 (the `badge` filter, templatetags/formats.py): one more
# than it shows is all there is to count.
BADGE_COUNTS_UP_TO = 100


def _waiting_reviews() -> int:
    """Waiting claims for the badge, counted only as far as it shows them (`badge`: "99+").
    Counting all of them cost every staff page 1.4 ms of PostgreSQL with 15,000 waiting (national
    scale); the dashboard and the review queue give the exact figure."""
    return StageEvent.objects.filter(status=StageEventStatus.SUBMITTED)[:BADGE_COUNTS_UP_TO].count()


def _unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()


def navigation(request) -> dict:
    """The signed-in user's role, for the navbar (one cached membership query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = user.role
    is_staff = user.is_programme_staff
    return {
        "nav_role": role,
        "nav_is_staff": is_staff,
        # Counted only if a template shows it (a COUNT of at most 100 index entries).
        "nav_reviews_waiting": SimpleLazyObject(_waiting_reviews) if is_staff else 0,
        "nav_is_admin": role == Role.ADMIN,
        # The bell: one COUNT on the partial index of unread notices, only if a template shows it.
        "nav_notifications_unread": SimpleLazyObject(lambda: _unread_count(user)),
        "nav_startup": user.startup if role in (Role.MANAGER, Role.AGENT) else None,
    }


def safe_next(request) -> str:
    """The form's `next` (the filtered list it was posted from) when it stays on this site, else ""."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""

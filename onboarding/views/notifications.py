"""The bell's list: a person's own notifications, newest first; opening one marks it read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..models import Notification
from ..pagination import paginate
from ..services.notifications import notification_mark_read

PER_PAGE = 25


@login_required
def notification_list(request):
    notices = Notification.objects.for_user(request.user)
    page = paginate(request, notices, per_page=PER_PAGE)
    return render(request, "onboarding/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one of the person's notices read and follow its link (another person's: 404)."""
    notice = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    notification_mark_read(user=request.user, notification=notice)
    safe = url_has_allowed_host_and_scheme(notice.link, allowed_hosts={request.get_host()}) and notice.link
    return redirect(notice.link if safe else "onboarding:notification-list")


@login_required
@require_POST
def notification_read_all(request):
    count = notification_mark_read(user=request.user)
    if count:
        text = ngettext("Marked %(count)s notification read.", "Marked %(count)s notifications read.", count)
        messages.success(request, text % {"count": count})
    else:
        messages.success(request, _("Nothing was unread."))
    return redirect("onboarding:notification-list")

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render

from ..filters import ReminderFilter
from ..forms.users import PreferencesForm
from ..models import Reminder
from ..pagination import REMINDER_SORTS, paginate, sort
from ..reports.exports import REMINDERS
from ..services.users import user_set_preferences
from .access import member_required
from .downloads import list_export


@member_required
def reminder_list(request):
    """What was sent to whom, when, about what: staff see all, a startup its own."""
    through = Reminder.exporters.through
    exporter_count = (
        through.objects.filter(reminder=OuterRef("pk"))
        .order_by()
        .values("reminder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reminders = (
        Reminder.objects.visible_to(request.user)
        .select_related("recipient", "startup", "to_exporter")
        .annotate(exporter_count=Coalesce(Subquery(exporter_count), 0))
        .order_by("-created_at", "-pk")
    )
    filterset = ReminderFilter(request.GET, queryset=reminders, request=request)
    reminders, sorting = sort(request, filterset.qs, REMINDER_SORTS)
    if export := list_export(request, reminders, REMINDERS, "reminders"):
        return export
    page = paginate(request, reminders)
    return render(
        request,
        "onboarding/reminder_list.html",
        {"filter": filterset, "page": page, "sorting": sorting},
    )


@login_required
def preferences(request):
    """The signed-in user's email choices (the weekly digest; stalled alerts cannot be turned off)."""
    # An unticked checkbox sends an empty POST, which is falsy: bind on the method, not the data.
    user = request.user
    initial = {"weekly_digest": user.weekly_digest, "notification_emails": user.notification_emails}
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user_set_preferences(actor=user, user=user, **form.cleaned_data)
        if form.cleaned_data["weekly_digest"]:
            messages.success(request, "You will get the weekly digest on Mondays.")
        else:
            messages.success(request, "You will no longer get the weekly digest. Stalled-work alerts still come.")
        return redirect("onboarding:preferences")
    return render(request, "onboarding/user_preferences.html", {"form": form})

"""A person's own email choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..forms.users import PreferencesForm
from ..services.users import user_set_preferences


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
            messages.success(request, _("You will get the weekly digest on Mondays."))
        else:
            messages.success(request, _("You will no longer get the weekly digest. Stalled-work alerts still come."))
        return redirect("onboarding:preferences")
    return render(request, "onboarding/user_preferences.html", {"form": form})

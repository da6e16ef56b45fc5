"""Startup lifecycle on the startup page: pause/resume assignments, suspend/exit, return exporters."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..assignment_forms import ReasonForm, StartupStatusForm
from ..models import Role, Startup
from ..scoping import STAFF, object_view
from ..services.assignments import startup_release_exporters, startup_set_accepting, startup_set_status
from .assignments import add_errors


@object_view(Startup, *STAFF)
@require_POST
def startup_accepting_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user), pk=pk)
    accepting = request.POST.get("accepting") == "1"
    startup_set_accepting(actor=request.user, startup=startup, accepting=accepting)
    if accepting:
        messages.success(request, f"{startup} takes new assignments again.")
    else:
        messages.success(request, f"{startup} gets no new assignments until resumed; it keeps its exporters.")
    return redirect(startup)


@object_view(Startup, Role.ADMIN)
def startup_status_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user).with_load(), pk=pk)
    form = StartupStatusForm(request.POST or None, initial={"status": startup.status})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            startup, released = startup_set_status(
                actor=request.user,
                startup=startup,
                status=data["status"],
                reason=data["reason"],
                release=data["release"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            text = f"{startup} is now {startup.get_status_display().lower()}."
            if released:
                text += f" {released} exporters are back in the pool."
            messages.success(request, text)
            return redirect(startup)
    return render(request, "onboarding/startup_status_form.html", {"startup": startup, "form": form})


@object_view(Startup, Role.ADMIN)
def startup_release_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user).with_load(), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        released = startup_release_exporters(actor=request.user, startup=startup, reason=form.cleaned_data["reason"])
        messages.success(request, f"{released} exporters of {startup} are back in the pool.")
        return redirect(startup)
    return render(request, "onboarding/startup_release_form.html", {"startup": startup, "form": form})

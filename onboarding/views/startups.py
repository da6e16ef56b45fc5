from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..filters import StartupFilter
from ..forms.assignments import ReasonForm
from ..forms.startups import StartupForm, StartupStatusForm
from ..forms.users import MemberAddForm
from ..models import ConfirmationRequest, Role, Startup
from ..pagination import STARTUP_SORTS, paginate, sort
from ..reports.exports import STARTUPS
from ..services.startups import (
    startup_create,
    startup_member_add,
    startup_release_exporters,
    startup_set_accepting,
    startup_set_status,
    startup_update,
)
from .access import STAFF, admin_required, member_required, object_view, report_refusal, staff_required
from .downloads import list_export


@staff_required
def startup_list(request):
    queryset = Startup.objects.with_load().order_by("legal_name")
    filterset = StartupFilter(request.GET, queryset=queryset)
    startups, sorting = sort(request, filterset.qs, STARTUP_SORTS)
    if export := list_export(request, startups, STARTUPS, "startups"):
        return export
    page = paginate(request, startups)
    rates = ConfirmationRequest.objects.filter(startup__in=[s.pk for s in page.object_list]).rates(timezone.now())
    for startup in page.object_list:
        startup.confirmation = rates.get(startup.pk)
    return render(
        request,
        "onboarding/startup_list.html",
        {"filter": filterset, "page": page, "sorting": sorting},
    )


@admin_required
def startup_create_view(request):
    form = StartupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        startup = startup_create(actor=request.user, data=dict(form.cleaned_data))
        messages.success(request, _("%(startup)s is registered. Add its manager below.") % {"startup": startup})
        return redirect(startup)
    return render(request, "onboarding/startup_form.html", {"form": form, "creating": True})


@object_view(Startup, Role.ADMIN)  # other startups: 404, not 403
def startup_update_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user), pk=pk)
    form = StartupForm(request.POST or None, instance=startup)
    if request.method == "POST" and form.is_valid():
        startup_update(actor=request.user, startup=startup, data=dict(form.cleaned_data))
        messages.success(request, _("%(startup)s is updated.") % {"startup": startup})
        return redirect(startup)
    return render(request, "onboarding/startup_form.html", {"form": form, "startup": startup})


@member_required
def startup_detail(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user).with_load(), pk=pk)
    members = startup.members.active().select_related("user")
    member_form = MemberAddForm() if request.user.is_programme_admin else None
    return render(
        request,
        "onboarding/startup_detail.html",
        {"startup": startup, "members": members, "member_form": member_form, "sectors": startup.sectors.all()},
    )


@object_view(Startup, Role.ADMIN)  # other startups: 404, not 403
def startup_member_add_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user), pk=pk)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = startup_member_add(actor=request.user, startup=startup, **form.cleaned_data)
        messages.success(
            request,
            _("%(email)s is now a %(role)s of %(startup)s. They will get an email to set their password.")
            % {"email": member.user.email, "role": member.get_role_display().lower(), "startup": startup},
        )
        return redirect(startup)
    return render(request, "onboarding/startup_member_form.html", {"form": form, "startup": startup})


# --- Lifecycle: pause/resume assignments, suspend/exit, return exporters to the pool ---


@object_view(Startup, *STAFF)
@require_POST
def startup_accepting_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user), pk=pk)
    accepting = request.POST.get("accepting") == "1"
    startup_set_accepting(actor=request.user, startup=startup, accepting=accepting)
    if accepting:
        messages.success(request, _("%(startup)s takes new assignments again.") % {"startup": startup})
    else:
        messages.success(
            request,
            _("%(startup)s gets no new assignments until resumed; it keeps its exporters.") % {"startup": startup},
        )
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
            report_refusal(request, exc, form)
        else:
            text = _("%(startup)s is now %(status)s.") % {
                "startup": startup,
                "status": startup.get_status_display().lower(),
            }
            if released:
                text += " " + _("%(count)s exporters are back in the pool.") % {"count": released}
            messages.success(request, text)
            return redirect(startup)
    return render(request, "onboarding/startup_status_form.html", {"startup": startup, "form": form})


@object_view(Startup, Role.ADMIN)
def startup_release_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user).with_load(), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        released = startup_release_exporters(actor=request.user, startup=startup, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            _("%(count)s exporters of %(startup)s are back in the pool.") % {"count": released, "startup": startup},
        )
        return redirect(startup)
    return render(request, "onboarding/startup_release_form.html", {"startup": startup, "form": form})

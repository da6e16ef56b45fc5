from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from ..filters import StartupFilter
from ..forms import MemberAddForm, StartupForm
from ..models import Role, Startup
from ..permissions import admin_required, member_required, staff_required
from ..scoping import object_view
from ..services.startups import startup_create, startup_member_add, startup_update
from .pagination import paginate, querystring_without_page


@staff_required
def startup_list(request):
    queryset = Startup.objects.with_load().order_by("legal_name")
    filterset = StartupFilter(request.GET, queryset=queryset)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "onboarding/startup_list.html",
        {"filter": filterset, "page": page, "querystring": querystring_without_page(request)},
    )


@admin_required
def startup_create_view(request):
    form = StartupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        startup = startup_create(actor=request.user, data=dict(form.cleaned_data))
        messages.success(request, f"{startup} is registered. Add its manager below.")
        return redirect(startup)
    return render(request, "onboarding/startup_form.html", {"form": form, "creating": True})


@object_view(Startup, Role.ADMIN)  # other startups: 404, not 403
def startup_update_view(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user), pk=pk)
    form = StartupForm(request.POST or None, instance=startup)
    if request.method == "POST" and form.is_valid():
        startup_update(actor=request.user, startup=startup, data=dict(form.cleaned_data))
        messages.success(request, f"{startup} is updated.")
        return redirect(startup)
    return render(request, "onboarding/startup_form.html", {"form": form, "startup": startup})


@member_required
def startup_detail(request, pk: int):
    startup = get_object_or_404(Startup.objects.visible_to(request.user).with_load(), pk=pk)
    members = startup.members.filter(removed_at__isnull=True).select_related("user")
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
            f"{member.user.email} is now a {member.get_role_display().lower()} of {startup}. "
            "They will get an email to set their password.",
        )
        return redirect(startup)
    return render(request, "onboarding/startup_member_form.html", {"form": form, "startup": startup})

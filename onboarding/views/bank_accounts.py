"""A startup's bank details: admins set them, a second admin confirms, members see them masked."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.bank_accounts import BankAccountForm
from ..models import BankAccount, Startup
from ..models.users import Role
from ..services.bank_accounts import FIELDS, bank_account_confirm, bank_account_save
from .access import member_required, object_view, report_refusal


def _initial(startup: Startup, account: BankAccount | None) -> dict[str, str]:
    if account is not None:
        return {field: getattr(account, field) for field in FIELDS}
    return {"holder_name": startup.legal_name, "pan": startup.pan, "gstin": startup.gstin}


@member_required
def startup_bank(request, pk: int):
    """Everyone who may see the startup sees its details masked; admins also get the edit form
    (the one screen with the full account number)."""
    startup = get_object_or_404(Startup.objects.visible_to(request.user), pk=pk)
    account = BankAccount.objects.filter(startup=startup).select_related("changed_by", "confirmed_by").first()
    form = None
    if request.user.is_programme_admin:
        form = BankAccountForm(request.POST or None, initial=_initial(startup, account))
        if request.method == "POST" and form.is_valid():
            try:
                bank_account_save(actor=request.user, startup=startup, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                report_refusal(request, exc, form)
            else:
                messages.success(
                    request,
                    _("Saved %(startup)s's bank details. Another admin must confirm them before it is paid.")
                    % {"startup": startup},
                )
                return redirect("onboarding:startup-bank", pk=startup.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Only programme admins change bank details."))
    can_confirm = bool(account and not account.is_confirmed and account.changed_by_id != request.user.pk)
    context = {"startup": startup, "account": account, "form": form, "can_confirm": can_confirm}
    return render(request, "onboarding/bank_account.html", context, status=400 if form and form.errors else 200)


@object_view(Startup, Role.ADMIN)
@require_POST
def startup_bank_confirm(request, pk: int):
    account = get_object_or_404(BankAccount.objects.select_related("startup"), startup_id=pk)
    try:
        bank_account_confirm(actor=request.user, account=account)
    except (ValidationError, PermissionDenied) as exc:
        report_refusal(request, exc)
    else:
        messages.success(
            request, _("Confirmed %(startup)s's bank details: its payouts can be paid.") % {"startup": account.startup}
        )
    return redirect("onboarding:startup-bank", pk=pk)

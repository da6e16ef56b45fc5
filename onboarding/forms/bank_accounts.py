"""A startup's bank details, as an admin types them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..validators import clean_bank_account_number, clean_gstin, clean_ifsc, clean_pan


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(label=_("Account holder"), max_length=140, help_text=_("As the bank has it."))
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=30,
        help_text=_("9 to 18 digits. Shown in full only here and in the bank file."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    ifsc = forms.CharField(label="IFSC", max_length=15, help_text=_("11 characters, e.g. SBIN0001234."))
    pan = forms.CharField(
        label=_("PAN of the payee"), max_length=12, required=False, help_text=_("Without it TDS is 20%.")
    )
    gstin = forms.CharField(
        label=_("GSTIN of the payee"), max_length=20, required=False, help_text=_("With it, 18% GST is added.")
    )

    def clean_account_number(self) -> str:
        return clean_bank_account_number(self.cleaned_data["account_number"])

    def clean_ifsc(self) -> str:
        return clean_ifsc(self.cleaned_data["ifsc"])

    def clean_pan(self) -> str:
        return clean_pan(self.cleaned_data["pan"]) if self.cleaned_data["pan"].strip() else ""

    def clean_gstin(self) -> str:
        return clean_gstin(self.cleaned_data["gstin"]) if self.cleaned_data["gstin"].strip() else ""

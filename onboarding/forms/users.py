"""People: adding a startup member, a manager's agent, and a user's email preferences."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import StartupMember, User
from ..models.startups import MemberRole


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=MemberRole.choices, initial=MemberRole.MANAGER)
    # One message for every refusal, when the reason is not the asker's business (see TeamAgentForm).
    refusal: str = ""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        reason = ""
        if user and user.is_programme_staff:
            reason = _("This person is programme staff and cannot join a startup.")
        elif user and StartupMember.objects.active().filter(user=user).exists():
            reason = _("This person already belongs to a startup team.")
        if reason:
            raise ValidationError(self.refusal or reason)
        return email


class PreferencesForm(forms.Form):
    """A user's email choices. Stalled-work alerts are not optional, so only the digest is here."""

    weekly_digest = forms.BooleanField(
        required=False,
        label=gettext_lazy("Email me the weekly pipeline digest on Mondays"),
        help_text=gettext_lazy(
            "Daily alerts about stalled exporters and waiting reviews are always sent: they are part of the job."
        ),
    )
    notification_emails = forms.BooleanField(
        required=False,
        label=gettext_lazy("Email me each notification (the bell at the top of every page)"),
        help_text=gettext_lazy("Assignments, decisions on evidence, commissions. They stay in the bell either way."),
    )


class TeamAgentForm(MemberAddForm):
    """A manager adds an agent to their own team."""

    # A startup manager must not learn from this form which addresses have an account (programme
    # staff, another startup's people): the form never refuses an address, and the service
    # (`startup_agent_invite`) quietly adds nobody when it cannot join. Staff adding members on the
    # startup page keep the precise reasons: they may know.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["role"]
        self.fields["email"].help_text = _("They get an email to set their password.")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class TwoFactorConfirmForm(forms.Form):
    """The first code from a newly set-up authenticator app."""

    code = forms.CharField(
        label=gettext_lazy("Code from your app"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=gettext_lazy("Six digits, changing every 30 seconds."),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise ValidationError(_("Type the six digits your authenticator app shows."))
        return code


class TwoFactorVerifyForm(TwoFactorConfirmForm):
    """After the password: a code from the authenticator app, or one of the recovery codes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Code")
        self.fields["code"].widget.attrs["inputmode"] = "text"
        self.fields["code"].help_text = _("The six digits your authenticator app shows, or one of your recovery codes.")

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        if len(code) == 6 and code.isascii() and code.isdigit():
            return code
        if len(code) == 8 and code.isalnum():
            return code
        raise ValidationError(_("Type the six digits your app shows, or an eight-character recovery code."))

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .choice_labels import ChoiceLabels
from .shown_as import ShownAs


class Role(models.TextChoices):
    ADMIN = "admin", _("Programme admin")
    OFFICER = "officer", _("Programme officer")
    MANAGER = "manager", _("Startup manager")
    AGENT = "agent", _("Startup agent")


# Programme staff, and everyone with a role: the one definition pages, API and services use.
STAFF = (Role.ADMIN, Role.OFFICER)
EVERYONE = (*STAFF, Role.MANAGER, Role.AGENT)


class StaffRole(models.TextChoices):
    NONE = "", _("Not programme staff")
    ADMIN = "admin", _("Programme admin")
    OFFICER = "officer", _("Programme officer")


# What an officer may open in Django admin: the programme's records, read-only. An allow-list,
# so whatever is not named here is refused: API tokens (of any token app), sign-in records,
# sessions, users (their password hashes) and their two-factor devices, and any model an app
# adds later.
OFFICER_ADMIN_MODELS = (
    "activity",
    "assignment",
    "commission",
    "commissionrule",
    "exporter",
    "importbatch",
    "reminder",
    "sector",
    "stage",
    "stageevent",
    "startup",
    "startupmember",
)
OFFICER_ADMIN_PERMISSIONS = frozenset(f"onboarding.view_{model}" for model in OFFICER_ADMIN_MODELS)


class UserQuerySet(models.QuerySet):
    def staff(self) -> UserQuerySet:
        """Active programme staff: admins (superusers count) and officers."""
        staff = models.Q(staff_role__in=[StaffRole.ADMIN, StaffRole.OFFICER]) | models.Q(is_superuser=True)
        return self.filter(staff, is_active=True)


class EmailUserManager(UserManager.from_queryset(UserQuerySet)):
    """Users sign in with their email; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):  # type: ignore[override]
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.update(is_staff=True, is_superuser=True, staff_role=StaffRole.ADMIN)
        return self._create_user(email, password, **extra_fields)


class Language(models.TextChoices):
    """The portal's languages (settings.LANGUAGES), each named in itself."""

    ENGLISH = "en-in", "English"
    HINDI = "hi", "हिन्दी"


class User(ChoiceLabels, ShownAs, AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    # Programme staff are marked here; startup roles come from StartupMember.
    staff_role = models.CharField(max_length=10, choices=StaffRole.choices, blank=True, default="")
    weekly_digest = models.BooleanField(default=True, help_text=_("Receive the weekly pipeline digest by email."))
    notification_emails = models.BooleanField(default=True, help_text=_("Email me each notification of the bell."))
    # Pages and emails are in this language: the one the person first signs in with (their
    # browser's or the one they picked on the sign-in page), then the switch at the top of every
    # page. Blank until then; emails to a person who never signed in are in settings.LANGUAGE_CODE.
    language = models.CharField(max_length=5, choices=Language.choices, blank=True, default="")
    # Kept by the two-factor services beside the devices themselves, so that deciding whether a
    # signed-in person owes a code costs no query on every request.
    two_factor_enabled = models.BooleanField(
        _("two-factor sign-in"),
        default=False,
        editable=False,
        help_text=_("Signs in with a code from an authenticator app."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = EmailUserManager()

    class Meta:
        ordering = ["email"]

    STR_FIELDS = ("first_name", "last_name", "email")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def reads(self) -> str:
        """The language to write to this person in (pages, emails, notifications)."""
        return self.language or settings.LANGUAGE_CODE

    @cached_property
    def active_membership(self):
        """The user's current startup membership, or None (one query, cached per request).
        A user has one at most (a constraint): the memberships' order, by the user's email,
        would only join the user's row on every request of a startup's person."""
        return self.memberships.active().select_related("startup").order_by("pk").first()

    @property
    def role(self) -> str | None:
        if self.staff_role == StaffRole.ADMIN or self.is_superuser:
            return Role.ADMIN
        if self.staff_role == StaffRole.OFFICER:
            return Role.OFFICER
        membership = self.active_membership
        return membership.role if membership else None

    @property
    def is_programme_staff(self) -> bool:
        return self.role in STAFF

    @property
    def is_programme_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def must_use_two_factor(self) -> bool:
        """Programme admins sign in with a second factor; others may choose to (read from the row, no query)."""
        return self.is_superuser or self.staff_role == StaffRole.ADMIN

    @property
    def startup(self):
        membership = self.active_membership
        return membership.startup if membership else None

    # Django admin rights follow the programme role rather than per-user grants: admins may
    # do anything there; officers may look at the programme's own records and nothing else.
    def has_perm(self, perm: str, obj=None) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser or self.staff_role == StaffRole.ADMIN:
            return True
        if self.staff_role == StaffRole.OFFICER:
            return perm in OFFICER_ADMIN_PERMISSIONS
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser or self.staff_role == StaffRole.ADMIN:
            return True
        if self.staff_role == StaffRole.OFFICER:
            return any(perm.startswith(f"{app_label}.") for perm in OFFICER_ADMIN_PERMISSIONS)
        return super().has_module_perms(app_label)

    def get_role_display(self) -> str:
        return Role(self.role).label if self.role else str(_("No role"))

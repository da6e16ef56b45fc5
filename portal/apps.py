"""Other apps' names in Django admin, in words: their own AppConfig, with a verbose name people
understand, is what INSTALLED_APPS names (Django's way to rename an app one does not own)."""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class SignInLockoutsConfig(AxesAppConfig):
    """django-axes: failed sign-ins and the lockouts they earn."""

    verbose_name = "Sign-in lockouts"


class ApiTokensConfig(AppConfig):
    """django-rest-knox: people's API tokens (knox has no AppConfig of its own)."""

    name = "knox"
    verbose_name = "API tokens"

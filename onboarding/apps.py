from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.module_loading import import_string

# The receiver reads the request, so it lives with the views; named by its dotted path (as
# AXES_CLIENT_IP_CALLABLE is) because the views can be loaded only once the app registry is ready.
SIGN_IN_RECEIVER = "onboarding.views.sign_ins.sign_in_received"


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Export onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        user_logged_in.connect(import_string(SIGN_IN_RECEIVER), dispatch_uid="onboarding-sign-in-network")

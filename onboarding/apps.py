from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Export onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The receiver reads the request, so it lives with the views, which can be imported only
        # once the app registry is ready: Django's own pattern for connecting receivers.
        from .control_characters import guard_form_fields
        from .views.sign_ins import sign_in_received

        guard_form_fields()  # every form field refuses control characters (NUL is a 500 on PostgreSQL)

        user_logged_in.connect(sign_in_received, dispatch_uid="onboarding-sign-in-network")

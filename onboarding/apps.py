from celery.signals import before_task_publish, task_postrun, task_prerun
from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Export onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The receiver reads the request, so it lives with the views, which can be imported only
        # once the app registry is ready: Django's own pattern for connecting receivers.
        from .control_characters import guard_form_fields
        from .form_messages import plain_form_messages
        from .metrics import task_run_finished, task_run_started
        from .request_ids import id_after_task, id_from_task_headers, id_into_task_headers
        from .timestamps import compiled_timestamps_for
        from .views.language import language_from_sign_in
        from .views.sign_ins import sign_in_received

        guard_form_fields()  # every form field refuses control characters (NUL is a 500 on PostgreSQL)
        plain_form_messages()  # Django's default form messages in plain words (form_messages.py)

        connection_created.connect(compiled_timestamps_for, dispatch_uid="onboarding-compiled-timestamps")
        user_logged_in.connect(sign_in_received, dispatch_uid="onboarding-sign-in-network")
        user_logged_in.connect(language_from_sign_in, dispatch_uid="onboarding-sign-in-language")
        # Request ids travel in the task's headers to the worker (request_ids.py); the metrics
        # count each task run by its outcome (metrics.py). The metrics module reads models.
        before_task_publish.connect(id_into_task_headers, dispatch_uid="onboarding-request-id-publish")
        task_prerun.connect(id_from_task_headers, dispatch_uid="onboarding-request-id-start")
        task_postrun.connect(id_after_task, dispatch_uid="onboarding-request-id-finish")
        task_prerun.connect(task_run_started, dispatch_uid="onboarding-metrics-task-start")
        task_postrun.connect(task_run_finished, dispatch_uid="onboarding-metrics-task-finish")

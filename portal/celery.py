import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def logging_from_settings(**kwargs) -> None:
    """Workers and beat log like the web (settings.LOGGING: each line with its request id, as
    text or JSON per LOG_FORMAT) instead of in Celery's own format."""
    dictConfig(settings.LOGGING)

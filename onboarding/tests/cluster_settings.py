"""The multi-node drill's settings (`make cluster`, test_integration_cluster.py): production's
(portal/settings.py with DJANGO_DEBUG off), except that WhiteNoise serves the static files
straight from the apps' folders instead of a `collectstatic` folder. A release collects and
compresses them once (1,451 files: minutes of CPU on a busy machine); the drill, which starts
from a fresh checkout every time, would pay that on every run for nothing it tests."""

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True

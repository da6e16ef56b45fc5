"""One settings module, driven by the environment (every variable: docs/operations.md#configuration).

With no variable set the portal runs on SQLite and Celery's filesystem transport
under var/, so a fresh checkout needs no server.
"""

import atexit
import ipaddress
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

TESTING = "pytest" in sys.modules
# What the portal writes when no server is configured: SQLite, the filesystem broker, uploads,
# the demo logins. A test run never writes into the work tree: each test process gets its own
# temporary folder (and hands it to the worker processes it starts through PORTAL_VAR_DIR).
if _var := env.str("PORTAL_VAR_DIR", ""):
    VAR_DIR = Path(_var)
elif TESTING:
    VAR_DIR = Path(tempfile.mkdtemp(prefix="portal-test-var-"))
    atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)
else:
    VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development).")
    # Only ever used with DEBUG on or under pytest; production must set its own.
    SECRET_KEY = "dev-only-insecure-key-not-for-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "rest_framework",
    # knox (named in words in admin): API tokens stored hashed, expiring, revocable (replaces authtoken)
    "portal.apps.ApiTokensConfig",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here: the docs page needs no CDN
    "simple_history",
    "portal.apps.SignInLockoutsConfig",  # axes, named in words in admin
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "onboarding",
]

MIDDLEWARE = [
    # First: every later step's log lines carry the request's id, and the metrics time them all.
    "onboarding.request_ids.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a visitor not signed in: the language cookie, else the browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A signed-in person's own language (saved on the account) wins over cookie and browser.
    "onboarding.views.language.account_language",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sends whoever owes a second factor to enrol or enter a code before any other page.
    "onboarding.views.access.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "onboarding.views.headers.ContentSecurityPolicyMiddleware",
    "onboarding.views.headers.permissions_policy",
    # Cache-Control: no-store on whatever a signed-in person gets, and on every download.
    "onboarding.views.headers.no_store_when_signed_in",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onboarding.views.navigation.navigation",
            ],
        },
    },
]

# An empty variable (as left by `.env.example`) means "use the default", like an unset one.
DATABASES = {"default": env.db_url_config(env.str("DATABASE_URL", "") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite (the zero-setup default) locks the whole file to write. A deferred transaction that
    # read first and then writes fails at once with "database is locked" when another writer got
    # there: two admins paying one payout gave a 500. IMMEDIATE takes the write lock at BEGIN and
    # the timeout makes the second writer wait its turn, as a row lock does on PostgreSQL. WAL lets
    # pages read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    if (_sqlite_file := Path(DATABASES["default"]["NAME"])).name != ":memory:":
        # Tests on a file beside it too, not Django's shared in-memory database, whose locks are
        # per table and never wait ("database table is locked"): not how the portal's SQLite runs.
        DATABASES["default"]["TEST"] = {"NAME": str(_sqlite_file.with_name(f"test-{_sqlite_file.name}"))}
# django-prometheus's wrappers of Django's own PostgreSQL and SQLite backends: the same
# connection and SQL, plus each query's count and time for the metrics (onboarding/metrics.py).
if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace("django.db.", "django_prometheus.db.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "onboarding.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a check: its password_changed() hook revokes the user's API tokens (see services/users.py).
    {"NAME": "onboarding.services.users.ApiTokensRevokedOnPasswordChange"},
]
if TESTING:
    # A password hashed at Django's production cost takes 0.23 s here, and the suite's personas
    # make thousands. Tests hash with MD5 (never accepted outside tests) and still read the
    # production hashes a worker process may write.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "onboarding:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # a new manager has three days to set a password

# Login throttling: five failures lock the username+IP pair for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "username"  # the login form field, which holds the email
# Proxies (load balancer, CDN) between the internet and the app: the client's address is the
# N-th entry from the right of X-Forwarded-For; with 0 the header is ignored (anyone can forge it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "onboarding.views.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "onboarding.views.throttling.lockout_response"
# Password-reset requests allowed per hour, per email address and per client address.
PASSWORD_RESET_LIMIT_PER_EMAIL = 5
PASSWORD_RESET_LIMIT_PER_IP = 20
# The exporter's status link /e/<token>/ (reads and answers together), per 10 minutes: per link,
# and per client address over every link (a field officer in a cybercafé opens many).
EXPORTER_LINK_LIMIT_PER_LINK = env.int("EXPORTER_LINK_LIMIT_PER_LINK", default=60)
EXPORTER_LINK_LIMIT_PER_IP = env.int("EXPORTER_LINK_LIMIT_PER_IP", default=300)
FORMS_URLFIELD_ASSUME_HTTPS = True

# Two-factor sign-in (django-otp): authenticator apps (TOTP) and single-use recovery codes.
# Each wrong code doubles the wait before the next try (1, 2, 4… seconds, at most
# TWO_FACTOR_MAX_WAIT_MINUTES) for that account from that client address (models/two_factor.py),
# not for the account everywhere: django-otp's own per-device wait is off (factor 0), so someone
# holding the password elsewhere cannot keep the owner locked. django-otp still counts wrong codes
# in a row per device: at TWO_FACTOR_ALERT_AFTER the owner gets an email (once per run).
OTP_TOTP_ISSUER = "Export Onboarding Portal"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
TWO_FACTOR_MAX_WAIT_MINUTES = env.int("TWO_FACTOR_MAX_WAIT_MINUTES", default=15)
TWO_FACTOR_ALERT_AFTER = env.int("TWO_FACTOR_ALERT_AFTER", default=5)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-in"
TIME_ZONE = "Asia/Kolkata"
# Dates as "30 Nov 2026" (Hindi: "30 नवंबर 2026") and numbers grouped the Indian way in both
# languages (portal/formats/en_IN and portal/formats/hi).
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
# The portal's two languages, named in themselves so either can be found by someone who reads
# only that one. Hindi texts live in locale/hi (docs/translation.md says how to change them).
LANGUAGES = [("en-in", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap, its icons and Chart.js come from npm (package.json), never from a CDN,
# so pages render on a closed network too.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
# Uploaded and generated files (evidence, work files, imports, monthly packs): on local disk
# under MEDIA_ROOT, or with S3_BUCKET set in an S3-compatible bucket that every web node and
# worker reads (docs/operations.md#files-in-object-storage). Private objects, never a URL to
# them: downloads go through the checked views, which stream the bytes (views/downloads.py).
S3_BUCKET = env.str("S3_BUCKET", default="")
_default_storage = (
    s3_storage(
        S3_BUCKET,
        # Empty: AWS itself, and boto3's own chain finds the keys (instance role, ~/.aws).
        endpoint_url=env.str("S3_ENDPOINT_URL", default="") or None,
        region_name=env.str("S3_REGION", default="") or None,
        access_key=env.str("S3_ACCESS_KEY_ID", default="") or None,
        secret_key=env.str("S3_SECRET_ACCESS_KEY", default="") or None,
    )
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"  # never served as is: uploads go out through the checked /files/ views
# Behind nginx: the internal location that maps to MEDIA_ROOT (e.g. "/protected-media/"),
# so the checked download view hands the bytes to nginx with X-Accel-Redirect.
PROTECTED_MEDIA_ACCEL = env.str("PROTECTED_MEDIA_ACCEL", default="")
if S3_BUCKET and PROTECTED_MEDIA_ACCEL:
    raise ImproperlyConfigured("PROTECTED_MEDIA_ACCEL serves files from disk: unset it when S3_BUCKET is set.")
# A request's form fields (not its files) are read into memory up to Django's default 2.5 MB;
# an uploaded file over 2 MB is streamed to a temporary file instead of memory. The import
# page refuses a body over IMPORT_MAX_BYTES before storing any of it (views/uploads.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Exporter import (onboarding/spreadsheets/reading.py, forms/imports.py): files larger, longer or wider
# than these are refused with a message before their rows are read; files with more rows than
# IMPORT_ASYNC_ROWS are checked and written by Celery.
IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 100_000
IMPORT_MAX_COLUMNS = 60
IMPORT_ASYNC_ROWS = 2000
# What a file's rows may take as text once read (a workbook can point 50,000 cells at one long
# text): past it the file is refused before anything is stored. 100,000 template rows take ~40 MB.
IMPORT_MAX_STORED_BYTES = env.int("IMPORT_MAX_STORED_BYTES", default=64 * 1024 * 1024)

# Email: console by default; EMAIL_URL=smtp://host:port for a real server.
vars().update(env.email_url_config(env.str("EMAIL_URL", "") or "consolemail://"))
EMAIL_TIMEOUT = 10
# The outbox (onboarding/services/outbox.py), every email's one way out. After a
# transient failure the next attempt waits the next step of OUTBOX_RETRY_SCHEDULE
# (seconds; the last step repeats until the message's day or week is over). A send holds
# its row at most OUTBOX_CLAIM_TIMEOUT seconds: measured, a digest of 50 exporters takes
# 0.04 s (0.4 s cold) to a local server; the margin is for a slow one (EMAIL_TIMEOUT is
# per step), and the task's time limits end a send before its claim does. A queued task
# not started within OUTBOX_REQUEUE_AFTER seconds counts as lost. The recovery beat runs
# every OUTBOX_RECOVER_EVERY seconds, so a stranded row goes out within two minutes.
# The tests shrink these to seconds.
OUTBOX_RETRY_SCHEDULE = env.list("OUTBOX_RETRY_SCHEDULE", cast=int, default=[60, 120, 300, 900, 1800, 3600])
OUTBOX_CLAIM_TIMEOUT = env.int("OUTBOX_CLAIM_TIMEOUT", default=45)
OUTBOX_REQUEUE_AFTER = env.int("OUTBOX_REQUEUE_AFTER", default=90)
OUTBOX_RECOVER_EVERY = env.int("OUTBOX_RECOVER_EVERY", default=60)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Export Onboarding Portal <portal@localhost>")

# Celery. With no REDIS_URL/CELERY_BROKER_URL, kombu's filesystem transport under
# var/broker is a real broker that needs no server: beat → queue → worker really runs.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", "") or env.str("REDIS_URL", "") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Fail fast when Redis is down so the web keeps serving (healthz reports it).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# Reminders (onboarding/services/reminders.py). Times are Asia/Kolkata (CELERY_TIMEZONE).
# The sweep is idempotent (one reminder per kind, recipient and day or week), so the
# hourly repeats send nothing twice: they only catch up when an earlier run was missed.
CELERY_BEAT_SCHEDULE.update(
    {
        # Every day at 09:00 IST: stalled digests to startups, escalations and review
        # reminders to officers; on Mondays also the weekly pipeline and programme digests.
        "reminders-daily": {
            "task": "onboarding.tasks.sweep_reminders_task",
            "schedule": crontab(minute=0, hour=9),
        },
        # Every hour on the hour from 10:00 to 18:00 IST: the same sweep again, catching up
        # after a missed 09:00 run (e.g. Redis was down) and re-queueing stranded sends.
        "reminders-catch-up": {
            "task": "onboarding.tasks.sweep_reminders_task",
            "schedule": crontab(minute=0, hour="10-18"),
        },
    }
)
# Every hour from 10:00 to 18:00 IST: the officers' bell notice (and email) about evidence
# waiting more than a day. One notice per officer per day, so the repeats add nothing.
CELERY_BEAT_SCHEDULE["notify-evidence-waiting"] = {
    "task": "onboarding.tasks.notify_evidence_waiting_task",
    "schedule": crontab(minute=30, hour="10-18"),
}
# For demos and the integration tests: run the sweep every N seconds instead.
if REMINDER_SWEEP_EVERY_SECONDS := env.int("REMINDER_SWEEP_EVERY_SECONDS", default=0):
    CELERY_BEAT_SCHEDULE = {
        "reminders-every-few-seconds": {
            "task": "onboarding.tasks.sweep_reminders_task",
            "schedule": float(REMINDER_SWEEP_EVERY_SECONDS),
        }
    }
# Every minute: queue again the emails no task will pick up (the broker lost them, their
# worker died, their retry is due). One indexed query over the open rows; nothing to do
# is the usual case.
# Every day at 17:30 IST, and again at 19:30 to catch up after a missed run: each exporter
# with news today (assignment, stage change, a question about logged work) gets one message
# with their status link. One a day per exporter, whatever the number of runs.
CELERY_BEAT_SCHEDULE["exporter-digests"] = {
    "task": "onboarding.tasks.send_exporter_digests_task",
    "schedule": crontab(minute=30, hour="17,19"),
}
CELERY_BEAT_SCHEDULE["outbox-recover"] = {
    "task": "onboarding.tasks.recover_outbox_task",
    "schedule": float(OUTBOX_RECOVER_EVERY),
}

# Analytics (onboarding/services/outcomes.py): every 10 minutes the outcome figures are brought
# up to date from the events since the last run; on the 1st at 06:00 IST last month's frozen
# report pack is built (once: a repeat finds it built).
CELERY_BEAT_SCHEDULE["outcomes-refresh"] = {
    "task": "onboarding.tasks.outcomes_refresh_task",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["monthly-report"] = {
    "task": "onboarding.tasks.monthly_report_build_task",
    "schedule": crontab(minute=0, hour=6, day_of_month=1),
}
# Every minute: recount the dashboard's programme summary ("stalled" moves with the clock).
CELERY_BEAT_SCHEDULE["imports-recover"] = {"task": "onboarding.tasks.recover_imports_task", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["summary-refresh"] = {"task": "onboarding.tasks.refresh_summary_task", "schedule": 60.0}
# Every minute: tell startups of the officers' decisions once their ten minutes for undo have
# passed (a decision is announced once, whoever runs the job and how often).
CELERY_BEAT_SCHEDULE["announce-decisions"] = {"task": "onboarding.tasks.announce_decisions_task", "schedule": 60.0}
# Every night: uploads a form kept across an error and nobody sent again (older than a day) go.
CELERY_BEAT_SCHEDULE["kept-uploads-sweep"] = {
    "task": "onboarding.tasks.kept_uploads_sweep_task",
    "schedule": crontab(minute=15, hour=3),
}

FILTERS_EMPTY_CHOICE_LABEL = "Any"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A service's refusal (Django's ValidationError) becomes a 400 with field errors.
    "EXCEPTION_HANDLER": "onboarding.api.binding.exception_handler",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each lasts API_TOKEN_DAYS days,
# is listed and revocable at /account/api/, and all of a user's go when their password changes.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Live (unexpired) API tokens one person may hold; past it a new one is refused until one is revoked.
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=10)
# The exporter's status page (/e/<token>/): days a link works; whether approving "contacted"
# needs the exporter to have confirmed a call or visit that reached them (on unless turned
# off: a startup's own log is not proof of contact; an officer may still approve with a
# reason); the number printed on that page.
EXPORTER_LINK_DAYS = env.int("EXPORTER_LINK_DAYS", default=90)
REQUIRE_CONFIRMED_CONTACT = env.bool("REQUIRE_CONFIRMED_CONTACT", default=True)
PROGRAMME_HELPLINE = env("PROGRAMME_HELPLINE", default="1800-115-565")
# Days after its accrual (the stage's approval) before a commission can be paid: a reversal in
# that time cancels it, with no payment and no clawback.
COMMISSION_HOLD_DAYS = env.int("COMMISSION_HOLD_DAYS", default=0)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",  # what integrations already send: `Authorization: Token <key>`
    "AUTO_REFRESH": False,  # a fixed lifetime: using a token does not extend it
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Export Onboarding Portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for the people and integrations who use the API: a signed-in
    # session or a valid token. Anonymous callers get a 401 (the docs page: the sign-in page).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation declares its error responses (one `Error` shape), id and page bounds, closed bodies.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "onboarding.api.schema.errors_everywhere",
    ],
    # Several models have a "status" or "state": name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "onboarding.reference.STATE_CHOICES",
        "ExporterStateEnum": "onboarding.api.schema.EXPORTER_STATE_CHOICES",
        "LanguageEnum": "onboarding.reference.LANGUAGE_CHOICES",
        "StartupStatusEnum": "onboarding.models.startups.StartupStatus",
        "ExporterStatusEnum": "onboarding.models.exporters.ExporterStatus",
        "StageEventStatusEnum": "onboarding.models.stages.StageEventStatus",
        "CommissionStatusEnum": "onboarding.models.commissions.CommissionStatus",
    },
}

# Security headers. check --deploy is clean when DJANGO_DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # links out of the portal carry no path (ids, filters)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4; onboarding/views/headers.py allows inline styles on
# the admin and API pages only). Every script and style is a file under /static/: page data
# goes through json_script, behaviour lives in static/js/. Bootstrap's CSS draws checkboxes,
# selects and the menu button as data: SVG images, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Prometheus's page, /metrics (docs/operations.md#metrics): a scraper sends
# `Authorization: Bearer <METRICS_TOKEN>` or calls from one of METRICS_ALLOWED_NETWORKS (the
# client address as for sign-in lockouts, behind TRUSTED_PROXY_COUNT proxies); others get a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
for _network in METRICS_ALLOWED_NETWORKS:  # a mistyped network stops the start, not each scrape
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from error

# Every log line carries the id of the request or task it was written for
# (onboarding/request_ids.py). LOG_FORMAT=json writes one JSON object per line, for a log
# collector; text (the default) is for reading in a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", "") or "text"
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "onboarding.request_ids.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Each sign-in is already recorded in the AccessLog table; no need to log it twice.
        "axes": {"level": "WARNING"},
        # WeasyPrint reports each step of a layout (even its own stylesheets, on import) at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

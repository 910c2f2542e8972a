"""Django settings for Nyeri.

Every value comes from the environment through the typed helpers in ``nyeri.envvars``;
docs/configuration.md lists each variable. Without any variable set, Nyeri runs on an
embedded SQLite file so that a fresh checkout just works; production sets DATABASE_URL,
SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from nyeri.envvars import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("NYERI_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or env_bool("NYERI_TESTING", False):
        # Development and tests only: a throw-away key. Production must set SECRET_KEY.
        SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is required (set DEBUG=1 for local development). `make demo` generates one in var/secret_key."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "ninja",
    "nyeri.accounts",
    "nyeri.tenancy",
    "nyeri.audit",
    "nyeri.web",
    "nyeri.clinical",
    "nyeri.clinical.diagnoses",
    "nyeri.clinical.breakglass",
    "nyeri.clinical.outcomes",
    "nyeri.evaluation",
    "nyeri.workforce",
    "nyeri.facilities",
    "nyeri.staffing",
    "nyeri.jobs",
    "nyeri.candidates",
    "nyeri.hiring",
    "nyeri.procedures",
    "nyeri.prescriptions",
    "nyeri.imaging",
    "nyeri.appointments",
    "nyeri.register",
    "nyeri.notifications",
    "nyeri.imports",
    "nyeri.onboarding",
    "nyeri.privacy",
    "nyeri.api",
    "nyeri.backups",
    "nyeri.demo",
    "django_tasks",
    "django_tasks_db",
    "nyeri.background",
    "nyeri.interop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "nyeri.web.middleware.RequestContextMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before the session (a cookie is looked up, and saved on the way out), the account or a
    # view: input no field may hold (NUL, lone surrogates, over-long values, over-large
    # bodies) is refused with a 400 or 413.
    "nyeri.web.input_guard.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A 403 or a 404 on an object asked for by identifier that no refusal recorded gets
    # its audit row here, after the view (docs/audit.md, "Denied attempts").
    "nyeri.audit.middleware.DeniedAttemptMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "nyeri.accounts.middleware.SessionLifetimeMiddleware",
    "nyeri.accounts.middleware.SecondFactorMiddleware",
    # An installation without any organization sends / and the login page to /setup/.
    "nyeri.tenancy.middleware.SetupRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "nyeri.clinical.breakglass.middleware.CareAccessRefusedMiddleware",
    # Axes must be last: it turns a locked-out login into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nyeri.urls"
WSGI_APPLICATION = "nyeri.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "nyeri" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nyeri.web.context_processors.navigation",
                "nyeri.notifications.context_processors.unread_notifications",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'nyeri.sqlite3'}")
# Persistent connections by default: a new PostgreSQL connection (fork, authentication, TLS)
# costs more than the whole of a typical API request (bench/bench_api_throughput.py, README
# "Serving"); each gunicorn worker thread keeps one, checked before reuse after an error.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN: concurrent writers queue instead of
        # failing with "database is locked" half-way through a transaction, and the audit
        # hash chain is appended by one writer at a time.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("DB_PREPARED_STATEMENTS", True):
        # The hot path's fixed statements (API token, actor, patient, the pain score's
        # INSERTs, the audit append) are prepared once per connection (nyeri.lib.sql,
        # statement_cursor): PostgreSQL then skips their parsing and planning. Every other
        # query keeps Django's client-side binding, which never prepares. psycopg needs a
        # threshold to prepare at all (Django sets None, "off"); 5 is psycopg's default.
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or None}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: inactivity time-out (sliding, renewed on every request) and an absolute
# lifetime counted from login, enforced by SessionLifetimeMiddleware.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_TIMEOUT_MINUTES", 15, minimum=1))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env_int("SESSION_ABSOLUTE_LIFETIME_HOURS", 12, minimum=1))
SESSION_COOKIE_AGE = int(SESSION_IDLE_TIMEOUT.total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sensitive actions (signing a controlled-drug prescription, approving an authorisation)
# need a password and second factor entered within this many minutes.
REAUTH_MAX_AGE = timedelta(minutes=env_int("REAUTH_MAX_AGE_MINUTES", 5, minimum=1))
# A personal API token expires after this many days unless its creator chooses fewer or more
# (at most 365: a token that never expires is not offered).
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90, minimum=1)
if API_TOKEN_DEFAULT_DAYS > 365:
    raise ImproperlyConfigured(f"API_TOKEN_DEFAULT_DAYS must be at most 365, got {API_TOKEN_DEFAULT_DAYS}")
# Repeated probing: one account answered "denied" or "not found" more than this many times
# within this many minutes raises one notification to its organization's compliance
# officers and administrators (the periodic job audit.probe_watch, every minute).
PROBE_ALERT_THRESHOLD = env_int("PROBE_ALERT_THRESHOLD", 20, minimum=1)
PROBE_ALERT_WINDOW = timedelta(minutes=env_int("PROBE_ALERT_WINDOW_MINUTES", 10, minimum=1))
# How long a break-glass grant (emergency access to a patient outside one's facilities) lasts.
BREAK_GLASS_DURATION = timedelta(minutes=env_int("BREAK_GLASS_MINUTES", 60, minimum=1))
# Reports that count patients hide counts under this (shown as "< 5"); see nyeri/lib/suppression.py.
SMALL_NUMBER_MINIMUM = env_int("SMALL_NUMBER_MINIMUM", 5, minimum=1)

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one username from
# one address, that pair waits LOGIN_COOLOFF_MINUTES; nobody is locked out for good.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The counter is keyed on the name folded to lower case and trimmed: "Siti", "siti " and
# "SITI" are one name to count failures against, however they were typed.
AXES_USERNAME_CALLABLE = "nyeri.accounts.throttling.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "Nyeri")

HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "nyeri.web.views.csrf_failure"

# A strict Content Security Policy: every script, style and font is served by Nyeri
# itself (no CDN, no inline script), so the platform works offline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Languages ----------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [Path(env_str("NYERI_LOCALE_DIR", str(BASE_DIR / "nyeri" / "locale")))]
USE_I18N = True
# Our own formats per language (nyeri/formats): one way to show a date, a time, a number.
FORMAT_MODULE_PATH = ["nyeri.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
USE_TZ = True

# --- Static files: served by the application itself (WhiteNoise) ----------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "nyeri" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not env_bool("NYERI_TESTING", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Private uploads (credential evidence and the like) live outside STATIC/MEDIA URLs and
# are only streamed by views that check access.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(VAR_DIR / "private")))
# Largest accepted evidence file (credential scans). Also cap request bodies at the proxy.
# The largest request body the application reads (an evidence file, a spreadsheet import
# and their form), refused with a 413 before it is parsed; the proxy should cap it too
# (docs/security.md). Each text value (a form field, a query parameter, a JSON string) is
# capped at MAX_FIELD_CHARS characters.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 25 * 1024 * 1024, minimum=1024)
MAX_FIELD_CHARS = env_int("MAX_FIELD_CHARS", 100_000, minimum=256)
# Seconds a client is told to wait (Retry-After) when the database cannot be reached.
RETRY_AFTER_SECONDS = env_int("RETRY_AFTER_SECONDS", 30, minimum=1)
# How long the answer to a write sent with an Idempotency-Key is kept for a retry
# (nyeri/api/idempotency.py): a day covers a client's retries after any outage we plan for.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24, minimum=1)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# Patient diary links (docs/diary.md): the validity a link gets by default, and the longest one may get.
DIARY_LINK_DAYS = env_int("DIARY_LINK_DAYS", 30, minimum=1)
DIARY_LINK_MAX_DAYS = env_int("DIARY_LINK_MAX_DAYS", 90, minimum=1)
# The public job board's rate limit per client address (docs/jobs.md).
JOBS_BOARD_RATE_LIMIT = env_int("JOBS_BOARD_RATE_LIMIT", 120, minimum=1)
JOBS_BOARD_RATE_WINDOW = env_int("JOBS_BOARD_RATE_WINDOW", 60, minimum=1)

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# The public address of this Nyeri, for full links in e-mails (paths only when empty).
NYERI_SITE_URL = env_str("NYERI_SITE_URL", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Nyeri <nyeri@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Logging: to stdout, no patient data in messages ----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# --- Background work (docs/background.md) ----------------------------------------------
# A queue in the database by default, so the embedded set-up needs nothing else; Redis
# (RQ) in production if wanted. `manage.py run_worker` runs the jobs and the scheduler.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database").strip().lower()
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL}}
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "redis":
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be 'database' or 'redis', got {TASKS_BACKEND!r}")
# A job that has been running this long is taken for lost (its worker died) and retried.
JOB_STALLED_MINUTES = env_int("JOB_STALLED_MINUTES", 120, minimum=1)
# How many days of finished jobs the administrators' page shows.
JOB_HISTORY_DAYS = env_int("JOB_HISTORY_DAYS", 7, minimum=1)
# Successful jobs (and their queue rows) are forgotten after this many days; failed ones stay.
JOB_KEEP_DAYS = env_int("JOB_KEEP_DAYS", 30, minimum=1)
# FHIR bulk exports (docs/fhir.md): their files are deleted this many hours after they are written.
FHIR_EXPORT_KEEP_HOURS = env_int("FHIR_EXPORT_KEEP_HOURS", 24, minimum=1)

# --- SATUSEHAT (docs/satusehat.md) -------------------------------------------------------
# The Ministry's hosts per environment; each organization chooses its environment.
SATUSEHAT_BASE_URLS = {
    "staging": env_str("SATUSEHAT_STAGING_URL", "https://api-satusehat-stg.dto.kemkes.go.id"),
    "production": env_str("SATUSEHAT_PRODUCTION_URL", "https://api-satusehat.kemkes.go.id"),
}
# Encrypts the organizations' client secrets (Fernet); derived from SECRET_KEY when unset.
SATUSEHAT_ENCRYPTION_KEY = env_str("SATUSEHAT_ENCRYPTION_KEY")
SATUSEHAT_TIMEOUT_SECONDS = env_int("SATUSEHAT_TIMEOUT_SECONDS", 20, minimum=1)

"""Settings for every environment, read from environment variables.

The variants (``dev``, ``test``, ``production``) only set defaults and import this module, so
there is exactly one place that knows what a variable means. Production mode is the explicit
``PORTAL_ENV=production``, never a side effect of ``DEBUG``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.utils.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR") or BASE_DIR / "var")

PORTAL_ENV = env_choice("PORTAL_ENV", "development", ("development", "test", "production"))
IS_PRODUCTION = PORTAL_ENV == "production"
DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION and PORTAL_ENV == "development")
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when PORTAL_ENV=production")

# --- Secrets -----------------------------------------------------------------------------
# Development defaults are public (they are in this file) and therefore refused in production.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105 - public dev default, refused in production
# Fernet keys (url-safe base64 of 32 bytes). The first key encrypts; all keys decrypt, so a
# new key can be prepended and data re-encrypted at leisure (``manage.py totp_reencrypt`` and
# ``manage.py selectors_rekey``); then the old key can go.
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LWRvLW5vdC11c2UtMDE="
# HMAC keys for selector digests, "version:base64". The first is current; matching covers all.
DEV_SELECTOR_HMAC_KEY = "1:ZGV2LW9ubHktc2VsZWN0b3Ita2V5LWRvLW5vdC11c2U="
KNOWN_DEFAULT_SECRETS = {DEV_SECRET_KEY, DEV_FIELD_ENCRYPTION_KEY, DEV_SELECTOR_HMAC_KEY, "", "changeme"}


def _secret(name: str, dev_default: str) -> str:
    value = env_str(name)
    if IS_PRODUCTION:
        if value is None or value.strip() == "":
            raise ImproperlyConfigured(f"{name} must be set when PORTAL_ENV=production")
        if any(part.strip() in KNOWN_DEFAULT_SECRETS for part in value.split(",")):
            raise ImproperlyConfigured(f"{name} is a known default value; generate a new one")
        return value
    return value or dev_default


SECRET_KEY = _secret("SECRET_KEY", DEV_SECRET_KEY)
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _secret("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEY).split(",")]
SELECTOR_HMAC_KEYS = [k.strip() for k in _secret("SELECTOR_HMAC_KEYS", DEV_SELECTOR_HMAC_KEY).split(",")]


def _validate_keys() -> None:
    import base64
    import binascii

    from cryptography.fernet import Fernet

    for key in FIELD_ENCRYPTION_KEYS:
        try:
            Fernet(key.encode())
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS: every key must be a Fernet key (url-safe base64 of 32 bytes)"
            ) from exc
    for entry in SELECTOR_HMAC_KEYS:
        version, _, encoded = entry.partition(":")
        try:
            ok = version.isdigit() and len(base64.b64decode(encoded, validate=True)) >= 32
        except binascii.Error:
            ok = False
        if not ok:
            raise ImproperlyConfigured("SELECTOR_HMAC_KEYS: every entry must be 'version:base64-of-32+-bytes'")


_validate_keys()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.admin.apps.SimpleAdminConfig",  # no autodiscover: only portal.admin registers
    "django_otp",
    "guardian",
    "axes",
    "csp",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",
    "audit",
    "accounts",
    "partners",
    "cases",
    "deconfliction",
    "actionplan",
    "notifications",
]

MIDDLEWARE = [
    "portal.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "accounts.middleware.VerifiedSessionRequiredMiddleware",
    "partners.middleware.ActiveMembershipMiddleware",
    "audit.middleware.PendingAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes last, as its documentation asks: it turns a lockout raised during authentication
    # into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partners.context_processors.active_membership",
                "notifications.context_processors.unread",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = environ.Env.db_url_config(DATABASE_URL)
    if _db["ENGINE"] in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
        _db["ENGINE"] = "django.db.backends.postgresql"
        if env_bool("DATABASE_POOL", default=True):
            # Django's own psycopg 3 pool: connections are reused across requests of a worker.
            _db.setdefault("OPTIONS", {})["pool"] = {
                "min_size": env_int("DATABASE_POOL_MIN", 1, minimum=0),
                "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
            }
        else:
            _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
        _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
    DATABASES = {"default": _db}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Cache -------------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL")
CACHES = (
    {"default": environ.Env.cache_url_config(CACHE_URL)}
    if CACHE_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal"}}
)

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out usernames before any password hashing happens.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PortalModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

INVITATION_VALID_HOURS = 72
# Sessions: absolute lifetime 12 hours, idle timeout 30 minutes (accounts.middleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_ABSOLUTE_TIMEOUT = SESSION_COOKIE_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_NAME = "__Host-portal_session" if SESSION_COOKIE_SECURE else "portal_session"
CSRF_COOKIE_NAME = "__Host-portal_csrf" if CSRF_COOKIE_SECURE else "portal_csrf"

# django-otp. TOTP: 30 s steps, six digits; a code from one step before or after the current
# one is accepted (tolerance 1, so at most ~90 s of clock skew in total), and a code is
# accepted only once (a device remembers the last step it accepted).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Case Coordination Portal")
OTP_TOTP_TOLERANCE = 1
OTP_TOTP_THROTTLE_FACTOR = 1  # delay doubles per consecutive failure: 1, 2, 4, 8 ... seconds
OTP_STATIC_THROTTLE_FACTOR = 1

# django-axes: count failures by username only (a police office shares one IP address), within
# a 15-minute window; the fifth failure locks the account (accounts.signals makes the lock
# permanent until an organisation admin unlocks it).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.auth.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "password"]
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0) or None
# Per-IP slow-down (not lockout) for floods of failed logins from one address.
LOGIN_IP_SLOWDOWN_AFTER = env_int("LOGIN_IP_SLOWDOWN_AFTER", 20, minimum=1)

# django-guardian: no anonymous user row; anonymous visitors never hold object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files (self-hosted; closed government networks reach no CDN) -----------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION

# --- Security headers --------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_int("TRUSTED_PROXY_COUNT", 0, minimum=0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Email -------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_MESSAGE_ID_DOMAIN = env_str("EMAIL_MESSAGE_ID_DOMAIN", "portal.invalid")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)

# --- Celery ------------------------------------------------------------------------------
# Without a broker the embedded default is kombu's filesystem transport under var/, so that
# ``make run`` needs no service at all; CI and production set CELERY_BROKER_URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    _celery_dir = VAR_DIR / "celery"
    for sub in ("out", "processed", "control"):
        (_celery_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without it kombu writes its exchange table to ./control in the working directory.
        "control_folder": str(_celery_dir / "control"),
        "data_folder_in": str(_celery_dir / "out"),
        "data_folder_out": str(_celery_dir / "out"),
        "processed_folder": str(_celery_dir / "processed"),
        "store_processed": False,
    }
    CELERY_BROKER_CONFIGURED = False
else:
    # Longer than the longest task, or Redis hands a running task to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
        # How often a worker looks for messages a dead worker left unacknowledged (Redis);
        # the effective period is interval x throttle seconds.
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10, minimum=1),
        "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10, minimum=1),
        # A web request that publishes while the broker is down waits for one quick refusal,
        # not kombu's default of several seconds of reconnecting: the outbox row stays and the
        # sweeper sends it later (notifications/services.py).
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
    CELERY_BROKER_CONFIGURED = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule (documented in the README). Times are UTC.
CELERY_BEAT_SCHEDULE = {
    "audit-verify-chains": {"task": "audit.verify_chains", "schedule": crontab(hour=2, minute=15)},
    "cases-expire-shares": {"task": "cases.expire_shares", "schedule": crontab(minute="*/5")},
    "deconfliction-expire-selectors": {"task": "deconfliction.expire_selectors", "schedule": crontab(hour=1, minute=0)},
    "deconfliction-requeue-imports": {"task": "deconfliction.requeue_imports", "schedule": crontab(minute="*/5")},
    "deconfliction-escalate-hits": {"task": "deconfliction.escalate_hits", "schedule": crontab(minute=10)},
    "actionplan-refresh-indicators": {"task": "actionplan.refresh_indicators", "schedule": crontab(hour=4, minute=0)},
    "actionplan-remind-updates": {"task": "actionplan.remind_updates", "schedule": crontab(hour=7, minute=0)},
    "cases-purge-retained": {"task": "cases.purge_retained", "schedule": crontab(hour=3, minute=30)},
    "audit-purge-expired": {"task": "audit.purge_expired", "schedule": crontab(hour=3, minute=45)},
    "notifications-sweep-outbox": {"task": "notifications.sweep_outbox", "schedule": crontab(minute="*/2")},
    "notifications-daily-digest": {"task": "notifications.send_digests", "schedule": crontab(hour=6, minute=30)},
    "cases-send-reminders": {"task": "cases.send_reminders", "schedule": crontab(hour=6, minute=0)},
    "accounts-disable-inactive": {"task": "accounts.disable_inactive", "schedule": crontab(hour=2, minute=45)},
    "accounts-purge-expired-invitations": {
        "task": "accounts.purge_expired_invitations",
        "schedule": crontab(hour=3, minute=0),
    },
}


# --- API ---------------------------------------------------------------------------------
API_RATE = env_str("API_RATE", "600/min")  # requests per token (or session user)
# The largest body Django reads into memory. Sized for the selector batch API: 10,000 items
# (deconfliction.services.MAX_BATCH) at the largest the schema allows (value 1,000 characters,
# qualifier 40, note 500, the longest kind; every character up to 4 bytes of UTF-8) are
# 6,229 bytes of JSON each, about 62.3 MB in all; 64 MiB leaves room for pretty-printing.
# Django's default of 2.5 MB refused a batch of long values. Clients that \u-escape non-ASCII
# text can exceed this at the extremes and should send fewer items per request. The request-size
# guard (portal.middleware) answers a larger body 413 before it is read; only the routes in
# LARGE_BODY_ROUTES may come near this limit: every other request is refused above
# REQUEST_BODY_MAX (Django's usual 2.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024
REQUEST_BODY_MAX = int(2.5 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.BearerTokenAuthentication",
        "accounts.tokens.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.tokens.ScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.tokens.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_RATE},
    "DEFAULT_PAGINATION_CLASS": "portal.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["portal.api.StrictFilterBackend"],
    # JSON only: the browsable API needs inline scripts, which the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Case Coordination Portal API",
    "DESCRIPTION": "Cases, sharing, milestones, tasks, deconfliction and the action plan, under the same "
    "access rules as the pages. Authenticate with `Authorization: Bearer <token>` (create tokens in the "
    "portal) or a browser session that passed the second factor.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.constants.CaseStatus",
        "TaskStatusEnum": "cases.models.Task.Status",
        "ShareStatusEnum": "cases.models.CaseShare.Status",
        "HitStatusEnum": "deconfliction.models.Hit.Status",
        "MeasureStatusEnum": "actionplan.models.MeasureStatus",
        "SelectorKindEnum": "deconfliction.normalisers.SelectorKind",
        "OperationKindEnum": "deconfliction.models.Operation.Kind",
        "OperationStatusEnum": "deconfliction.models.Operation.Status",
        "OrganisationKindEnum": "partners.models.OrganisationKind",
        "MilestoneKindEnum": "cases.models.MilestoneKind",
        "TimelineKindEnum": "cases.models.TimelineEntry.Kind",
        "RegistrationStatusEnum": ["registered", "already_registered", "invalid"],
    },
}

# --- Deconfliction ------------------------------------------------------------------------
SELECTOR_VALID_DAYS = env_int("SELECTOR_VALID_DAYS", 365, minimum=1)
SELECTOR_RAW_PURGE_DAYS = env_int("SELECTOR_RAW_PURGE_DAYS", 30, minimum=0)
HIT_ACK_WORKING_DAYS = env_int("HIT_ACK_WORKING_DAYS", 2, minimum=1)
# Registrations per hour; above the flag level the platform operator is told (not blocked).
SELECTOR_RATE_USER_PER_HOUR = env_int("SELECTOR_RATE_USER_PER_HOUR", 12000, minimum=1)
SELECTOR_RATE_ORG_PER_HOUR = env_int("SELECTOR_RATE_ORG_PER_HOUR", 50000, minimum=1)
SELECTOR_FLAG_USER_PER_HOUR = env_int("SELECTOR_FLAG_USER_PER_HOUR", 2000, minimum=1)

# --- Retention ---------------------------------------------------------------------------
CASE_RETENTION_DAYS = env_int("CASE_RETENTION_DAYS", 5 * 365, minimum=1)
# Audit events outlive the cases they record by a year, so the trail of a purged case's last
# year stays; at least a year in any case (CJIS 5.4.7).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 6 * 365, minimum=365)

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The portal's own "no superuser in production" rule (accounts.backends) reads this.
ALLOW_SUPERUSER_LOGIN = not IS_PRODUCTION
# The admin site lives at a configurable path (default "admin"), behind the second factor.
ADMIN_URL_PATH = (env_str("ADMIN_URL_PATH") or "admin").strip("/")

SILENCED_SYSTEM_CHECKS = [
    # Email uniqueness is enforced case-insensitively by a database constraint
    # (accounts_user_email_ci_unique), which the plain unique=True check does not see.
    "auth.W004",
    # Accounts are locked by username on purpose; floods from one address are slowed by
    # accounts.throttle instead (a whole police office shares one IP address).
    "axes.W006",
]

"""Settings for dealerplan, read from environment variables (see README "Configuration")."""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dealerplan.config import cache_settings, env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env_str("DEALERPLAN_HOME", str(PACKAGE_DIR.parent.parent)))
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-dev-only-dealerplan-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "simple_history",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dealerplan.api",
    "django_tasks",
    "django_tasks_db",
    "dealerplan.core",
    "dealerplan.org",
    "dealerplan.catalog",
    "dealerplan.customers",
    "dealerplan.activities",
    "dealerplan.deals",
    "dealerplan.inventory",
    "dealerplan.orders",
    "dealerplan.planning",
    "dealerplan.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dealerplan.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dealerplan.core.session.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dealerplan.urls"
WSGI_APPLICATION = "dealerplan.wsgi.application"
FORM_RENDERER = "dealerplan.core.form_renderer.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dealerplan.core.context_processors.navigation",
                "dealerplan.activities.context_processors.unread_notifications",
            ],
        },
    }
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL in production).
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dealerplan.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DATABASE_JIT", False
):
    # PostgreSQL's JIT compiles a plan for a few hundred milliseconds when it estimates a big
    # query; the report and funnel counts pay that on every request and gain nothing from it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE columns) serve PostgreSQL; SQLite builds them without those
# columns, which is all a development database needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "dealerplan.core.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures per user and address lock for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "dealerplan.org.views.lockout"

# Language and time: Chinese first, English second; stored in UTC, shown in Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

DJANGO_TABLES2_TEMPLATE = "django_tables2/dealerplan.html"
DJANGO_TABLES2_PAGE_RANGE = 5

# One shared cache for every worker process when CACHE_URL names Redis (README "Configuration").
CACHES = {"default": cache_settings(env_str("CACHE_URL", ""))}

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# REST API (api/, README "API"): token or session, signed-in users only, per-user rate limit.
API_RATE = env_str("API_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous call gets 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: people read the API in /api/docs/; the browsable API would render every
    # customer of the store into its form selects.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["dealerplan.api.policy.UserRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["dealerplan.api.policy.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "dealerplan.api.policy.Pagination",
    "EXCEPTION_HANDLER": "dealerplan.api.policy.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dealerplan API",
    "DESCRIPTION": "Sales planning and CRM for car dealerships. Money is a string with two "
    "decimals (CNY); times are ISO 8601 in Asia/Shanghai (+08:00).",
    "VERSION": "1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/(v1/)?",  # tags by resource: customers, deals, …
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set (several models have a "kind" or a "status").
    "ENUM_NAME_OVERRIDES": {
        f"{name}Enum": f"dealerplan.{path}.{name}"
        for path, names in {
            "customers.choices": ("CustomerKind", "IntentionLevel", "SourceChannel"),
            "activities.choices": ("ActivityKind", "ActivityStatus", "TrafficKind"),
            "deals.choices": ("DealStatus",),
            "inventory.choices": ("VehicleStatus",),
            "orders.choices": ("OrderStatus", "PaymentKind", "PaymentMethod"),
            "planning.choices": ("PlanStatus",),
        }.items()
        for name in names
    },
}

# A login ends after 30 idle minutes and at the latest 12 hours after signing in
# (core/session.py); the cookie lives as long as the absolute limit.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30)
SESSION_MAX_AGE_HOURS = env_int("SESSION_MAX_AGE_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_AGE_HOURS * 60 * 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts only from our own static files or inline with
# the request's nonce ({{ request.csp_nonce }}); no inline event handlers, no eval. <style>
# blocks need the nonce too; style="" attributes stay allowed (progress bars, ECharts tooltips).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],  # browsers without style-src-elem
        "style-src-elem": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # Bootstrap draws its icons as data: SVG
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Largest spreadsheet accepted by the imports (core/uploads.py).
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 20)

# List exports longer than this run in the task queue with a progress page (core/tasks.py).
EXPORT_ASYNC_ROWS = env_int("EXPORT_ASYNC_ROWS", 20000)

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# E-mail for reminders; the console backend prints them when no SMTP host is configured.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST", "")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "dealerplan <noreply@localhost>")
#: The address staff open the app at, for links in e-mails (e.g. https://crm.example.com).
DEALERPLAN_BASE_URL = env_str("DEALERPLAN_BASE_URL", "")

# Demo data and follow-up defaults.
DEALERPLAN_DEMO_PASSWORD = "demo12345"  # noqa: S105 - demo data only, documented in README

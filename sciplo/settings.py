"""Settings, read from the environment.

Every value has a development default so that a fresh clone runs with no configuration; a
production deployment sets DEBUG=false and must then provide SECRET_KEY and ALLOWED_HOSTS, or
the process refuses to start.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
import sentry_sdk
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

if not DEBUG:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of 32 or more characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Served over HTTPS (the default in production): cookies only over HTTPS, every plain
    # HTTP request redirected but the health check's (a container's probe speaks plain HTTP),
    # and browsers told for a year to come back over HTTPS only (HSTS), the host's own
    # subdomains included and the host allowed onto browsers' preload lists (which takes its
    # owner's submission): HSTS_SUBDOMAINS and HSTS_PRELOAD turn those off.
    HTTPS = env_bool("HTTPS", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
    # A proxy's X-Forwarded-Proto is believed only where a proxy sets it: anyone else could.
    if env_bool("BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    # Before admin, so that the catalogue's admin templates (admin/index.html) override admin's.
    "catalogue",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # The synthetic catalogue generator (manage.py generate_catalogue), for the benchmark.
    "synthetic",
]

MIDDLEWARE = [
    # First, so that it times and logs each request whole.
    "sciplo.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Near the top, so that every answer, remembered ones too, carries the policy.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sciplo.replica.ReplicaMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "catalogue.history.HistoryMiddleware",
    "catalogue.revision.RevisionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "sciplo.urls"
WSGI_APPLICATION = "sciplo.wsgi.application"

# The readers' pages are Jinja2 templates, in catalogue/jinja2/ (catalogue.templating says why);
# admin and the form widgets are Django templates, in each app's templates/. Jinja2 comes first,
# so that a readers' page is found without asking Django's loaders.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "catalogue.templating.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'sciplo.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The only statements bound on the server are catalogue.compiled's, which look rows up by
    # key: planned once per connection rather than at each use, which cost more than running them.
    connection_options = DATABASES["default"].setdefault("OPTIONS", {})
    connection_options["options"] = " ".join(
        filter(None, [connection_options.get("options"), "-c plan_cache_mode=force_generic_plan"])
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A transaction takes the write lock as it begins, so that two writers read and write one
    # after the other (SQLite has no row locks), waiting up to 20 s for it rather than failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
# A PostgreSQL replica of the database, streaming from it, which anonymous readers' requests
# read (sciplo/replica.py); everything else uses the primary, DATABASE_URL.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    replica = dj_database_url.parse(
        REPLICA_DATABASE_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"] = {
        **replica,
        "OPTIONS": DATABASES["default"].get("OPTIONS", {}),
        # Tests use the primary's test database under this name too.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["sciplo.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A request's body stays within Django's 2.5 MB; its form fields may number enough for admin's
# form of a record whose relations hold as many rows as a record may (services.MAX_RELATED).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Each worker process keeps its own cache, or, with REDIS_URL, every worker of every machine
# shares one in Redis, so that an answer remembered by one serves all and the API's rate limits
# count each client once. What the cache holds (catalogue.revision) is retired by a token in
# the database, which every process reads, rather than by expiry. CACHE=off computes every
# answer afresh (the benchmark's cold runs), and turns the API's rate limits off.
REMEMBER_ANSWERS = os.environ.get("CACHE", "on") != "off"
REDIS_URL = os.environ.get("REDIS_URL", "")
if not REMEMBER_ANSWERS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Answers of a retired revision are never asked for again: a day bounds them, and
            # Redis's own memory limit the rest (docker-compose.yml).
            "TIMEOUT": 24 * 60 * 60,
            # Several deployments (or test runs) may share one Redis.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "sciplo"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": None,
            # Whole answers: a list page at 100,000 initiatives is some 300 KB, so that 200 of
            # them keep a worker's memory within 300 MB (docs/performance.md).
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_ENTRIES") or "200")},
        }
    }

# How far a running import has come, written by the task worker and read by the admin page that
# shows it: in Redis with REDIS_URL, else in files on this machine, which its worker shares.
CACHES["progress"] = (
    {**CACHES["default"], "KEY_PREFIX": f"{CACHES['default']['KEY_PREFIX']}-progress"}
    if REDIS_URL and REMEMBER_ANSWERS
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("PROGRESS_DIR") or VAR_DIR / "progress",
    }
)

# Imports run outside requests, in a task worker (`manage.py db_worker`) that takes its tasks
# from the database; TASKS_IMMEDIATE=true runs each at once in the request that asks for it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if env_bool("TASKS_IMMEDIATE", False)
        else "django_tasks_db.DatabaseBackend"
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Front-end packages that `npm ci` installs from package-lock.json, never copied into the tree;
# each prefix exposes only the folder a page needs, so the rest of node_modules is never served.
STATICFILES_DIRS = [
    ("vendor/leaflet", BASE_DIR / "node_modules/leaflet/dist"),
    ("vendor/leaflet.markercluster", BASE_DIR / "node_modules/leaflet.markercluster/dist"),
    ("vendor/topojson-client", BASE_DIR / "node_modules/topojson-client/dist"),
    ("vendor/world-atlas", BASE_DIR / "node_modules/world-atlas"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.EditorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.WritesFollowTheWorkflow"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Writes take JSON only: a record's relations (lists of rows) have no form encoding.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "URL_FORMAT_OVERRIDE": "format",
    "EXCEPTION_HANDLER": "api.exceptions.error_handler",
    # Anonymous clients at most API_ANON_RATE each; authenticated users without a limit unless
    # API_USER_RATE sets one. The counts live in the default cache, so each server process counts
    # its own. A client is its address: REMOTE_ADDR, or with NUM_PROXIES reverse proxies in front,
    # the address the outermost one wrote in X-Forwarded-For (never what the client wrote there).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE") or "240/minute",
        "user": os.environ.get("API_USER_RATE") or None,
    },
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES") or "0"),
}
# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user name
# from one address (or wrong API tokens from one address), that pair is refused with 429 for
# LOGIN_COOLOFF_MINUTES. The failures are kept in the database, so every server process counts
# the same ones, and each is logged; `manage.py axes_reset` lifts every lock at once.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT") or "5")
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES") or "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Failures are logged naming the user name, the address and the path (not the browser), which
# an operator needs to tell guessing from a forgotten password.
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = []
# A client's address as the API's rate limits find it, behind NUM_PROXIES proxies.
AXES_CLIENT_IP_CALLABLE = "api.authentication.client_address"
# How long shared caches may keep an anonymous read of the API (api/http.py).
API_CACHE_SECONDS = int(os.environ.get("API_CACHE_SECONDS") or "60")
# Writes to a record without If-Match answered 428 (api/http.py).
API_REQUIRE_IF_MATCH = env_bool("API_REQUIRE_IF_MATCH", False)
# Any web page may read the API, anonymously: no cookies, no writes (docs/api.md).
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# Content-Security-Policy (django-csp): everything from the site itself, no inline script or
# style but what a page marks with the request's nonce (the API's Swagger page), no plugins,
# never framed. The readers' pages, admin and the map need no exception; Redoc's page, which
# writes its styles at run time, allows inline styles (api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sciplo API",
    "DESCRIPTION": "The catalogue of science diplomacy, for scripts: read it freely, write it "
    "with a curator's token. A list takes the query string of the same list on the site; every "
    "error has the body `Error`. The guide, with examples: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"DatePrecisionEnum": "catalogue.partial_dates.DatePrecision"},
}

# One line per event on standard error: as text, or with LOG_FORMAT=json as one JSON object per
# line, its fields named (a request's method, path, status, duration_ms, user; a curator's
# action, record and version), for a log collector to read (docs/deployment.md).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "database_unavailable": {"()": "catalogue.faults.OneLineWhenDatabaseUnavailable"},
    },
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["database_unavailable"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Requests are logged once, by sciplo.observability, not again as Django's warnings.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Errors reported to Sentry (or a server speaking its protocol) when SENTRY_DSN is set: each
# unhandled exception and each error logged, with no personal data.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or "0"),
        send_default_pii=False,
    )

"""BlockDesk settings, read from the environment with django-environ.

Every value comes from an environment variable (or a `.env` file beside
manage.py); a bad value raises ImproperlyConfigured at start-up. Booleans and
numbers go through blockdesk.strict_env, never env.bool/env.int, so a typo
("flase") stops the start instead of reading as False.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from blockdesk.strict_env import env_bool, env_fernet_keys, env_float, env_int, env_region

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env_bool("DEBUG", default=False)

# Only a DEBUG run may fall back to a throwaway key; production must set one.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "blockdesk",
    "settings_app",
    "contacts",
    "tickets",
    "accounts",
    "search",
    "channels",
    "spam",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
]

MIDDLEWARE = [
    # Outermost, so a database error anywhere below (session, auth, view) becomes a 503.
    "blockdesk.middleware.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Channel deliveries (bearer token, POST /api/v1/inbound/…) go from here straight to their view.
    "blockdesk.middleware.ChannelDeliveryMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language, then LANGUAGE_CODE); after sessions, before CommonMiddleware.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's own language and time zone override the browser's and the site's.
    "accounts.middleware.PersonLanguageAndTimeZoneMiddleware",
    "blockdesk.sessions.SlidingSessionMiddleware",
    "blockdesk.sessions.PrivateAnswersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "blockdesk.middleware.ConsoleNotFoundMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "blockdesk.urls"
CSRF_FAILURE_VIEW = "blockdesk.console.csrf_failure"

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
                "settings_app.context_processors.system_settings",
            ],
            # |when, |day and |person on every page without a {% load %}: one format, one way to name people.
            "builtins": ["blockdesk.templatetags.blockdesk"],
        },
    },
]

WSGI_APPLICATION = "blockdesk.wsgi.application"


def _database(url: str) -> dict:
    database = env.db_url_config(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue on the busy timeout instead of
        # failing with "database is locked" when one upgrades its lock.
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        database["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60, minimum=0)
        database["CONN_HEALTH_CHECKS"] = True
        if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
            # Parameters bound by the server, and a statement run 5 times on a connection prepared there: routing's
            # statements are planned once per connection, not on every message (docs/benchmarks.md, issue 11). Off
            # behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
            database["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    return database


DATABASES = {"default": _database(env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# On Redis (rediscache://…) the cache is shared by every process and machine, and so are the channels'
# inbound limit counts (contacts.inbound_limits); otherwise those counts live in the database. No process
# keeps the switches or a channel's token past a request (DESIGN.md, "One truth for every process").
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://blockdesk")}
# The region whose national format a phone number without a country code is read in
# ("0812 3456 7890" → +6281234567890 for ID); a region the phone library does not know stops the start.
PHONE_DEFAULT_REGION = env_region("PHONE_DEFAULT_REGION", default="ID")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Each person picks one of these on their profile page (accounts.profiles); the default is the browser's.
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# A session ends after this long without a request (sliding; see blockdesk.sessions for the refresh step).
SESSION_COOKIE_AGE = round(env_float("SESSION_IDLE_HOURS", default=8, minimum=0.1) * 3600)
SESSION_REFRESH_SECONDS = min(300, SESSION_COOKIE_AGE // 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default config gives its logger a console handler of its own
        # that also propagates to the root: without this, each line shows twice.
        "django": {"handlers": [], "propagate": True},
        # django-axes announces its version in every process, twice under
        # runserver's reloader; its warnings (lockouts) still show.
        "axes.apps": {"level": "WARNING"},
        # The worker would log every task it runs; failures still show (and each attempt is in the database).
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}

# --- Security and reliability -------------------------------------------------
# Production (DEBUG=False) defaults pass `manage.py check --deploy` with no
# warnings; each can be relaxed through the environment, e.g. for plain-http
# local runs. Behind a TLS-terminating proxy set TRUST_X_FORWARDED_PROTO=true
# (and make sure the proxy sets or strips X-Forwarded-Proto).

if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: htmx and page scripts load from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# How many reverse proxies in front of the app append to X-Forwarded-For (deploy/nginx: 1); 0 trusts no
# header and takes REMOTE_ADDR. The client address (blockdesk.client_ip) is the entry this many from the right.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0, minimum=0)

# Login throttling: 5 failures for one username from one address lock that
# pair out for 15 minutes; a successful login resets the count. Within the
# same window accounts.login_throttle also locks an address that failed on any
# usernames LOGIN_FAILURES_PER_ADDRESS times, and a username that failed from
# any addresses LOGIN_FAILURES_PER_USERNAME times (except from addresses it
# has signed in from before).
# PersonBackend is Django's ModelBackend loading each person with their profile (language, time zone) in one query.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.PersonBackend"]
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", default=0.25, minimum=0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_CLIENT_IP_CALLABLE = "blockdesk.client_ip.client_ip"
AXES_HANDLER = "accounts.login_throttle.LoginThrottleHandler"
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", default=20, minimum=1)
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", default=30, minimum=1)

# How long API clients are told to wait (Retry-After) while the database is down.
DATABASE_OUTAGE_RETRY_AFTER = env_int("DATABASE_OUTAGE_RETRY_AFTER", default=5, minimum=0)

# --- Background work and delivery ---------------------------------------------
# TASKS_BACKEND=db (default: the app's own database, SQLite or PostgreSQL) or
# rq (Redis at TASKS_REDIS_URL). `manage.py run_worker` serves either.
TASKS_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="db").strip().lower()
if TASKS_BACKEND not in TASKS_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r} is not a tasks backend: use db or rq.")
TASKS = {"default": TASKS_BACKENDS[TASKS_BACKEND]}
if TASKS_BACKEND == "rq":
    # django-tasks-rq's system check refuses to start (run_worker included) without django_rq's app.
    INSTALLED_APPS.append("django_rq")
RQ_QUEUES = {"default": {"URL": env.str("TASKS_REDIS_URL", default="redis://127.0.0.1:6379/0")}}

# A reply that cannot be sent for a passing reason (timeout, 5xx, 429) is tried
# again after BASE * 2^(attempt-1) seconds (at most MAX, with ±25% jitter; a
# 429's Retry-After wins), up to DELIVERY_MAX_ATTEMPTS attempts; then it fails.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", default=8, minimum=1)
DELIVERY_BACKOFF_BASE_SECONDS = env_float("DELIVERY_BACKOFF_BASE_SECONDS", default=5, minimum=0)
DELIVERY_BACKOFF_MAX_SECONDS = env_float("DELIVERY_BACKOFF_MAX_SECONDS", default=3600, minimum=0)
# How long one attempt may wait for the receiver.
DELIVERY_TIMEOUT_SECONDS = env_float("DELIVERY_TIMEOUT_SECONDS", default=10, minimum=0.1)
# A worker that took a reply owns it this long; if it dies mid-send, the
# periodic sweep hands the reply to another worker after it (the receiver may
# then see it twice: the X-BlockDesk-Delivery id lets it drop the copy).
DELIVERY_CLAIM_SECONDS = env_float("DELIVERY_CLAIM_SECONDS", default=30, minimum=1)
# How often the worker's periodic jobs look for work (retry due deliveries, …).
PERIODIC_JOBS_EVERY_SECONDS = env_float("PERIODIC_JOBS_EVERY_SECONDS", default=5, minimum=0.1)

# Channel secrets BlockDesk needs in clear (an outbound webhook secret) are
# stored encrypted with this Fernet key (`python -c "from cryptography.fernet
# import Fernet; print(Fernet.generate_key().decode())"`). A DEBUG run without
# one derives a key from SECRET_KEY; production must set it, and keep it.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEY (or DEBUG=true for local development).")
# While the key is changed: the old key(s), comma-separated, still read (never written) until
# `manage.py rotate_encryption_key` has re-encrypted every value with FIELD_ENCRYPTION_KEY.
FIELD_ENCRYPTION_KEY_PREVIOUS = env_fernet_keys("FIELD_ENCRYPTION_KEY_PREVIOUS")

# How often the dashboards and the ticket view ask for new rows and messages (browser tests shorten it).
CONSOLE_REFRESH_SECONDS = 5
# How often an open web chat asks for replies: a reply shows within this plus the worker's pick-up.
WEBCHAT_REFRESH_SECONDS = 1

"""Settings shared by every environment.

Nothing secret lives here. ``dev``, ``test`` and ``prod`` import this module and
add what differs; ``prod`` refuses to start without a real secret key and hosts.
"""

import tempfile
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from config.replicas import replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Each environment says whether it debugs (dev: on; test and prod: off); no variable switches it.
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "casestudies",
]

MIDDLEWARE = [
    # First, so that the logged duration and status cover everything below it.
    "config.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: it decides which database this request reads.
    "config.db_router.ReplicaReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (Django's order), before CommonMiddleware: the language prefix
    # decides which URLs resolve, so the trailing-slash redirect must see it.
    "django.middleware.locale.LocaleMiddleware",
    # A first visit to an unprefixed page in the browser's language; data URLs stay
    # unprefixed (config/languages.py, docs/languages.md).
    "config.languages.LanguageRedirectMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Before any view reads request.GET: too many parameters is a 400, never a 500.
    "config.request_guard.QueryStringGuardMiddleware",
    "casestudies.plumbing.bad_parameter.BadParameterMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "casestudies.plumbing.context_processors.site",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (postgres://…) switches to PostgreSQL.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)  # seconds (libpq: 2 or more)
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 30)  # seconds, PostgreSQL
# A curator's admin save of a term, country, chapter or source: its statement re-indexes
# (and re-renders the CSV lines of) every case showing it, ~8 s for 17,000 cases on a
# quiet server. Below gunicorn's worker timeout (GUNICORN_TIMEOUT, 120 s), so the
# database cancels and rolls back the save before the worker is killed.
DATABASE_CURATION_STATEMENT_TIMEOUT = env_int("DATABASE_CURATION_STATEMENT_TIMEOUT", 100)
# /health/ answers 503 when the database has not answered within this many seconds.
HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 1.0)
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and a writer work at once; the timeout avoids "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles any plan whose estimated cost passes jit_above_cost; the
    # extracts' chunk queries (thousands of ids in an array) have absurd estimates and
    # spent ~500 ms each compiling: 17.7 s instead of 7 s for the whole CSV. A web app's
    # short queries never gain from JIT.
    pg_options = ["-c jit=off"]
    if env_str("PG_MAX_PARALLEL_WORKERS_PER_GATHER") is not None:
        # On a small (2-core) server parallel query workers only compete with the web
        # workers: 0 took the list's counting query from 187 to 144 ms (docs/perf/facets.md).
        parallel = env_int("PG_MAX_PARALLEL_WORKERS_PER_GATHER", 0)
        pg_options.append(f"-c max_parallel_workers_per_gather={parallel}")
    # A database that does not answer must not hang every worker until the client gives
    # up: connecting waits DATABASE_CONNECT_TIMEOUT seconds at most, and a statement
    # runs DATABASE_STATEMENT_TIMEOUT seconds at most (0 = no limit). The limit is per
    # statement: a streamed extract is one statement per chunk of cases (well under a
    # second each at 100,000 cases), so it needs no limit of its own.
    pg_options.append(f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}")
    pg_settings = DATABASES["default"].setdefault("OPTIONS", {})
    pg_settings["options"] = " ".join(pg_options)
    pg_settings["connect_timeout"] = DATABASE_CONNECT_TIMEOUT

# Read replicas (docs/operations.md, "More than one machine"): public reads go to one
# of them while it is reachable and at most DATABASE_REPLICA_MAX_LAG_SECONDS behind;
# writes, the admin, commands and a client's reads just after its own write go to the
# primary (config/db_router.py).
DATABASES.update(replica_databases(env_list("DATABASE_REPLICA_URLS"), DATABASES["default"]))
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
for _alias in DATABASE_REPLICAS:
    if DATABASES[_alias]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that does not answer must fail fast: reads then go to the primary.
        DATABASES[_alias]["OPTIONS"]["connect_timeout"] = env_int(
            "DATABASE_REPLICA_CONNECT_TIMEOUT", 3
        )
        DATABASES[_alias]["OPTIONS"]["application_name"] = f"atlas:{_alias}"
# Behind a pooler in transaction mode (PgBouncer's pool_mode=transaction) a connection
# is the server's only for one transaction, so nothing may outlive one: no server-side
# cursor (the extracts' streamed id lists are then read whole, a few MB at 100,000
# cases) and no startup "options", which PgBouncer refuses (set jit=off on the database
# instead: docs/operations.md, "More than one machine").
DATABASE_TRANSACTION_POOLING = env_bool("DATABASE_TRANSACTION_POOLING", default=False)
if DATABASE_TRANSACTION_POOLING:
    for _settings in DATABASES.values():
        if _settings["ENGINE"] == "django.db.backends.postgresql":
            _settings["DISABLE_SERVER_SIDE_CURSORS"] = True
            _settings["OPTIONS"].pop("options", None)
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 10)
DATABASE_REPLICA_CHECK_SECONDS = env_int("DATABASE_REPLICA_CHECK_SECONDS", 5)
DATABASE_READ_YOUR_WRITES_SECONDS = env_int("DATABASE_READ_YOUR_WRITES_SECONDS", 30)
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]

# Seconds the facet, matrix and coverage counts stay cached under the data stamp
# (casestudies/datastamp.py; PostgreSQL only). The stamp, not this, keeps them true; 0 = off.
FACET_CACHE_SECONDS = env_int("FACET_CACHE_SECONDS", 600)
# When the data stamp moves, each worker rebuilds its in-memory case index
# (casestudies/reads/case_index.py) in a background thread while its pages count in
# SQL; off, the first request after a write builds it (~2 s at 100,000 cases). Tests
# turn it off: their data lives in a transaction no other thread sees.
CASE_INDEX_BACKGROUND = env_bool("CASE_INDEX_BACKGROUND", default=True)

# PostgreSQL renders cases.csv a chunk per connection at a time (casestudies/extracts/
# pg_csv.py): 2 connections halve the whole 100,000-case CSV on 2 cores; 1 = serial.
EXTRACT_PG_CONNECTIONS = env_int("EXTRACT_PG_CONNECTIONS", 2)
# cases.csv from the lines PostgreSQL keeps rendered per case (casestudies/extracts/
# stored_lines.py): one COPY. Off: every download renders its lines (as above).
EXTRACT_STORED_LINES = env_bool("EXTRACT_STORED_LINES", True)
# Whole-list downloads (cases/outcomes as CSV or JSON, extract.zip) running at once on
# this host, across gunicorn's workers; the next gets a 503 with Retry-After (seconds).
# Keep it below the number of workers so that pages always find one free. 0 = no cap.
EXTRACT_MAX_CONCURRENT = env_int("EXTRACT_MAX_CONCURRENT", 1)
EXTRACT_RETRY_AFTER = env_int("EXTRACT_RETRY_AFTER", 10)
# A download of at most this many rendered rows (cases, or outcome rows; a row of
# cases.csv from the stored lines counts an eighth) takes no slot: ~0.25 s of a worker.
EXTRACT_UNCAPPED_ROWS = env_int("EXTRACT_UNCAPPED_ROWS", 2000)
# The slots' lock files (casestudies/extracts/slots.py); every worker of a host must share it.
EXTRACT_SLOTS_DIR = env_str("EXTRACT_SLOTS_DIR") or str(
    Path(tempfile.gettempdir()) / "coproduction-atlas-extract-slots"
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface's languages (docs/languages.md). English is the source and the default:
# its URLs carry no prefix (/cases/), the others do (/de/cases/). The data's own texts
# (case summaries, titles, findings) are written in English and stay in it, marked lang="en".
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice, remembered for a year; read on later visits to unprefixed pages.
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# collectstatic's target; configurable so that a smoke test or image can collect elsewhere.
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files the application keeps: the numbered data releases live in
# MEDIA_ROOT/storage/releases/<version>/ (docs/operations.md: back this up with the
# database; a release's row and its files belong together).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
RELEASES_STORAGE = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    # No base_url: release files are served by the releases view, which checks the
    # version and sends them as downloads, never straight from the directory.
    "OPTIONS": {"location": MEDIA_ROOT / "storage" / "releases", "base_url": None},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "releases": RELEASES_STORAGE,
}

# The public site serves no inline script or style; the admin needs inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Brute-force protection for the admin login: lock a username+address pair after 5 failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Proxies of our own in front of gunicorn that append to X-Forwarded-For (config/client_ip.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

SIMPLE_HISTORY_REVERT_DISABLED = False

SITE_NAME = "Co-production Case Atlas"
SITE_URL = env_str("SITE_URL", "http://localhost:8000")

# Everything goes to stdout as one line per event (see config/logs.py); LOG_FORMAT=json
# suits a log collector that parses JSON. django.request only reports server errors:
# config.logs.RequestLogMiddleware already writes a line for every 4xx.
LOG_FORMAT = env_choice("LOG_FORMAT", ["logfmt", "json"], "logfmt")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": f"config.logs.{'Json' if LOG_FORMAT == 'json' else 'Logfmt'}Formatter",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "structured",
        },
    },
    "root": {
        "handlers": ["stdout"],
        "level": env_choice("LOG_LEVEL", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], "INFO"),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # runserver's own access line would repeat the request line.
        "django.server": {"level": "WARNING"},
    },
}

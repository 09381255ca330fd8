"""Structured logs on stdout: one line per event, one line per request.

Containers and process managers collect stdout, so the site logs nowhere else.
Each record becomes a single ``key=value`` line (logfmt), or a JSON object with
``LOG_FORMAT=json``, so that a log search can filter on ``status`` or ``path``
and a traceback never splits into lines that lose their request.
"""

import json
import logging
import time
from datetime import UTC, datetime

request_logger = logging.getLogger("atlas.request")

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is shown.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
MAX_QUERY_LOGGED = 300


def _fields(record: logging.LogRecord) -> dict:
    fields = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if key == "request":
            # django.request attaches the HttpRequest to its error records: keep where it
            # happened, never the body, cookies or headers (they may hold passwords).
            fields["method"] = getattr(value, "method", None)
            fields["path"] = getattr(value, "path", None)
        elif isinstance(value, str | int | float | bool) or value is None:
            fields[key] = value
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


def _logfmt_value(value) -> str:
    text = "" if value is None else str(value)
    if text and not any(c in text for c in ' ="\n\r\t\\'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class LogfmtFormatter(logging.Formatter):
    def format(self, record):
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record):
        return json.dumps(_fields(record), default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """Logs method, path, status and duration of every request, once it is answered.

    First in MIDDLEWARE so that its duration covers every other middleware and it
    still sees the 500 that Django makes of an unhandled exception.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        status = response.status_code
        level = (
            logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        )
        if status == 503 and response.has_header("Retry-After"):
            level = logging.WARNING  # load deliberately shed (a download cap), not a fault
        user = getattr(request, "user", None)
        request_logger.log(
            level,
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "query": request.META.get("QUERY_STRING", "")[:MAX_QUERY_LOGGED],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response

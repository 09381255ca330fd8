"""Structured logs: one line per request, errors with context, nothing private."""

import json
import logging
import sys

import pytest

from config.logs import JsonFormatter, LogfmtFormatter

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "atlas.request"]


def test_every_request_is_logged_once_with_method_path_status_and_duration(client, caplog):
    case = CaseFactory()
    with caplog.at_level(logging.INFO, logger="atlas.request"):
        client.get("/cases/", {"q": "childcare"})
        client.get(case.get_absolute_url())
        client.get("/no-such-page/")
    records = _request_records(caplog)
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/cases/", 200),
        ("GET", case.get_absolute_url(), 200),
        ("GET", "/no-such-page/", 404),
    ]
    assert records[0].query == "q=childcare"
    assert all(isinstance(r.duration_ms, float) and r.duration_ms >= 0 for r in records)
    assert records[2].levelno == logging.WARNING


def test_request_line_is_a_single_logfmt_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="atlas.request"):
        client.get("/cases/", {"q": 'a "quoted"\nvalue'})
    line = LogfmtFormatter().format(_request_records(caplog)[0])
    assert "\n" not in line
    assert "logger=atlas.request" in line
    assert "method=GET path=/cases/" in line
    assert "status=200" in line
    assert "duration_ms=" in line


def test_logged_in_user_is_identified_by_id_only(client, curator, caplog):
    client.force_login(curator)
    with caplog.at_level(logging.INFO, logger="atlas.request"):
        client.get("/cases/")
    record = _request_records(caplog)[0]
    assert record.user_id == curator.pk
    assert curator.username not in LogfmtFormatter().format(record)


def _error_record(rf):
    request = rf.post("/cases/", {"password": "hunter2"}, HTTP_COOKIE="sessionid=abc123")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request",
        logging.ERROR,
        __file__,
        1,
        "Internal Server Error: %s",
        ("/cases/",),
        exc_info,
    )
    record.status_code = 500
    record.request = request
    return record


@pytest.mark.parametrize("formatter", [LogfmtFormatter(), JsonFormatter()])
def test_errors_keep_their_context_in_one_line_without_private_data(rf, formatter):
    line = formatter.format(_error_record(rf))
    assert "\n" not in line
    for expected in [
        "django.request",
        "Internal Server Error: /cases/",
        "RuntimeError: boom",
        "500",
    ]:
        assert expected in line
    assert "POST" in line and "/cases/" in line
    for private in ["hunter2", "abc123", "sessionid"]:
        assert private not in line


def test_json_format_parses(rf):
    payload = json.loads(JsonFormatter().format(_error_record(rf)))
    assert payload["level"] == "ERROR"
    assert payload["method"] == "POST"
    assert payload["path"] == "/cases/"
    assert payload["status_code"] == 500
    assert "RuntimeError: boom" in payload["exc"]

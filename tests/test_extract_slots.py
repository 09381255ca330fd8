"""Whole-list extracts run a few at a time per host; the others get 503 + Retry-After."""

import logging
import os
import subprocess
import sys
import textwrap
import time

import pytest
from django.db import connection

from casestudies.extracts.slots import take_slot
from casestudies.models import Case

from .factories import CaseFactory, OutcomeFactory

pytestmark = pytest.mark.django_db

LIST_EXTRACTS = ["/cases.csv", "/cases.json", "/outcomes.csv", "/outcomes.json", "/extract.zip"]


@pytest.fixture
def one_slot(settings, tmp_path):
    settings.EXTRACT_MAX_CONCURRENT = 1
    settings.EXTRACT_RETRY_AFTER = 7
    settings.EXTRACT_SLOTS_DIR = str(tmp_path / "slots")
    settings.EXTRACT_UNCAPPED_ROWS = -1  # every download takes a slot, even an empty one
    CaseFactory.create_batch(2)


def _assert_refused(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"].startswith("text/plain")
    assert "Try again in 7 seconds" in response.content.decode()


@pytest.mark.parametrize("url", LIST_EXTRACTS)
def test_an_extract_beyond_the_cap_is_a_503_with_retry_after(client, one_slot, url):
    held = take_slot()
    _assert_refused(client.get(url))
    held.release()
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_a_download_holds_its_slot_until_its_response_is_closed(client, one_slot):
    first = client.get("/extract.zip")
    assert first.status_code == 200
    _assert_refused(client.get("/cases.csv"))  # the zip has not been sent yet
    b"".join(first.streaming_content)  # sent (the test client closes the response)
    second = client.get("/cases.csv")
    assert second.status_code == 200
    b"".join(second.streaming_content)


def test_a_refused_query_releases_its_slot(client, one_slot):
    assert client.get("/cases.csv?sort=nonsense").status_code == 400
    response = client.get("/cases.csv")
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_one_case_and_the_pages_are_not_capped(client, one_slot):
    held = take_slot()
    case = CaseFactory()
    assert client.get(f"/cases/{case.slug}.csv").status_code == 200
    assert client.get("/cases/").status_code == 200
    assert client.get("/matrix.csv").status_code == 200
    held.release()


@pytest.mark.parametrize("url", ["/cases.csv", "/outcomes.json", "/extract.zip"])
def test_a_download_of_few_rows_takes_no_slot(client, one_slot, settings, url):
    """Up to EXTRACT_UNCAPPED_ROWS rows a download is sent while the slots are taken;
    one row more and it waits for a slot like any large one."""
    for case in Case.objects.all():
        OutcomeFactory(case=case)
    held = take_slot()
    settings.EXTRACT_UNCAPPED_ROWS = 2
    small = client.get(url)
    assert small.status_code == 200 and small["X-Row-Count"] == "2"
    b"".join(small.streaming_content)
    settings.EXTRACT_UNCAPPED_ROWS = 1
    _assert_refused(client.get(url))
    held.release()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stored lines: PostgreSQL")
def test_a_csv_row_from_the_stored_lines_weighs_an_eighth(client, one_slot, settings):
    from casestudies.extracts.cases_csv import STORED_ROW_WEIGHT

    CaseFactory.create_batch(6)  # 8 published cases
    held = take_slot()
    settings.EXTRACT_UNCAPPED_ROWS = 8 * STORED_ROW_WEIGHT
    sent = client.get("/cases.csv")
    assert sent.status_code == 200 and sent["X-Row-Count"] == "8"
    b"".join(sent.streaming_content)
    _assert_refused(client.get("/cases.json"))  # rendered: each row counts whole
    _assert_refused(client.get("/cases.csv?lang=de"))  # labels are rendered too
    settings.EXTRACT_UNCAPPED_ROWS = 8 * STORED_ROW_WEIGHT - 0.5
    _assert_refused(client.get("/cases.csv"))
    held.release()


def test_slots_are_shared_between_processes(one_slot, settings):
    # gunicorn's workers are processes: a slot another process holds is taken for us.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import fcntl, os, sys, time
                fd = os.open({settings.EXTRACT_SLOTS_DIR + "/slot-0"!r}, os.O_RDWR | os.O_CREAT)
                fcntl.flock(fd, fcntl.LOCK_EX)
                print("held", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        os.makedirs(settings.EXTRACT_SLOTS_DIR, exist_ok=True)
        assert holder.stdout.readline().strip() == "held"
        assert take_slot() is None
    finally:
        holder.communicate("", timeout=30)  # the holder exits: the kernel releases its lock
    deadline = time.monotonic() + 5
    slot = take_slot()
    while slot is None and time.monotonic() < deadline:
        time.sleep(0.05)
        slot = take_slot()
    assert slot is not None
    slot.release()


def test_cap_zero_means_no_cap(client, settings, tmp_path):
    settings.EXTRACT_MAX_CONCURRENT = 0
    settings.EXTRACT_SLOTS_DIR = str(tmp_path / "unused")
    CaseFactory()
    responses = [client.get("/cases.csv") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    for response in responses:
        b"".join(response.streaming_content)


def test_slots_that_cannot_be_made_leave_downloads_uncapped(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.EXTRACT_MAX_CONCURRENT = 1
    settings.EXTRACT_SLOTS_DIR = str(blocker / "slots")
    CaseFactory()
    response = client.get("/cases.csv")
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_a_refused_download_is_logged_as_a_warning_not_an_error(client, one_slot, caplog):
    held = take_slot()
    with caplog.at_level(logging.INFO):
        _assert_refused(client.get("/cases.csv"))
    held.release()
    levels = {(r.name, r.levelname) for r in caplog.records}
    assert ("atlas.request", "WARNING") in levels
    assert not any(level == "ERROR" for _, level in levels), levels

"""At most ``settings.EXTRACT_MAX_CONCURRENT`` whole-list extracts at once on this host.

A list-wide extract of 20,000 cases keeps a gunicorn worker busy for seconds; eight
at once held every worker, and the other pages waited 12-15 s. So each such download
takes a slot first, and a request that finds none gets a 503 with ``Retry-After``
at once (a researcher's script retries; a page visitor never meets it).

Only downloads of more than ``EXTRACT_UNCAPPED_ROWS`` rendered rows take a slot
(``capped``; a row of ``cases.csv`` from the stored lines counts an eighth): a small
one costs no more than a page.

A slot is a lock file held with ``flock``: the lock is shared by every worker
process (and thread) of the host, which a per-process counter would not be (a sync
gunicorn worker runs one request at a time, so a per-process cap of one would cap
nothing), and the kernel releases it when its holder dies. The slot is held until
the response is closed (the last byte sent, or the client gone), and at the latest
when the slot object is garbage-collected.

``EXTRACT_MAX_CONCURRENT = 0`` switches the cap off. Where the slots' directory
cannot be written, the downloads run uncapped and a warning is logged: a
download limit must not become an outage.
"""

import fcntl
import logging
import os
import weakref
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse

logger = logging.getLogger(__name__)

# Extract responses carry the row count so that clients can check completeness (and
# so that ``capped`` knows a download's size before sending it).
ROW_COUNT_HEADER = "X-Row-Count"


class Slot:
    def __init__(self, fd: int):
        # Closing the descriptor is what releases the flock; once, whoever comes first.
        self._finalizer = weakref.finalize(self, os.close, fd)

    def release(self) -> None:
        self._finalizer()


def take_slot() -> Slot | None:
    """A free slot, or None when all are taken. Never waits."""
    directory = Path(settings.EXTRACT_SLOTS_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for number in range(settings.EXTRACT_MAX_CONCURRENT):
        fd = os.open(directory / f"slot-{number}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Slot(fd)
    return None


class _ReleasingAtClose:
    """The response's content, releasing the slot when the response is closed."""

    def __init__(self, content, slot: Slot):
        self._content = content
        self._slot = slot

    def __iter__(self):
        return iter(self._content)

    def close(self) -> None:
        self._slot.release()


def too_many_response() -> HttpResponse:
    seconds = settings.EXTRACT_RETRY_AFTER
    response = HttpResponse(
        f"Too many downloads are being prepared right now. Try again in {seconds} seconds.\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(seconds)
    # Django's request logger reports every 5xx as an error; this one is planned, and
    # config.logs.RequestLogMiddleware logs it as a warning.
    response._has_been_logged = True
    return response


def capped(content, rows: int, respond):
    """``respond(content)``, the streaming response of a whole-list download of ``rows``
    rows, holding a slot while it is sent if it is large; else a 503 at once.

    The view has validated the query and counted the rows, but nothing is sent yet.
    A download of at most ``EXTRACT_UNCAPPED_ROWS`` rendered rows (about a quarter of
    a second of a worker) takes no slot: refusing the load test's filtered CSVs (35 %
    of them met a taken slot, ~40 ms each) only made researchers' scripts wait and
    retry. A row of ``cases.csv`` sent from the stored lines counts an eighth
    (``content.slot_weight``): up to 16,000 such rows take no slot.
    """
    weight = getattr(content, "slot_weight", 1.0)  # cheaper rows count for less
    if settings.EXTRACT_MAX_CONCURRENT <= 0 or rows * weight <= settings.EXTRACT_UNCAPPED_ROWS:
        return respond(content)
    try:
        slot = take_slot()
    except OSError as exc:
        logger.warning("extract slots unavailable, download not capped: %s", exc)
        return respond(content)
    if slot is None:
        if close := getattr(content, "close", None):
            close()  # a started query (the stored lines' COPY) lets its connection go
        return too_many_response()
    try:
        response = respond(content)
    except BaseException:
        slot.release()
        raise
    # Setting it again keeps the previous content's close() among the closers.
    response.streaming_content = _ReleasingAtClose(response.streaming_content, slot)
    return response

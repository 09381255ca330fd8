"""cases.csv by the fastest writer the database allows, with the same bytes either way.

On PostgreSQL the lines are read as stored (:mod:`.stored_lines`: one COPY) or, when
the stored lines were made for other columns, rendered by the database (:mod:`.pg_csv`);
with ``?lang=`` label columns, and on SQLite, the
Python writer formats :mod:`.records` (:func:`.writers.stream_csv`). Either way the
first chunk's query runs when :class:`CasesCsv` is created, so a query that fails
does so before the response starts (an error page, never a file cut short).
"""

from collections.abc import Iterator

from ..tabular.columns import Column, ExportContext, Labels, with_labels
from . import pg_csv, stored_lines
from .queries import primed
from .writers import stream_csv

# A row sent from the stored lines against a rendered one, for the download cap.
STORED_ROW_WEIGHT = 0.125


def _primed_bytes(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """The pieces, the first one read now (its query runs before the response starts)."""
    first = next(pieces)

    def generate():
        try:
            yield first
            yield from pieces
        finally:
            pieces.close()  # ends the COPY if stopped early

    return generate()


class CasesCsv:
    """The CSV's bytes (iterate once); ``count``: the rows written so far."""

    def __init__(
        self,
        queryset,
        columns: list[Column],
        ctx: ExportContext,
        *,
        bom: bool = False,
        labels: Labels | None = None,
    ):
        self._records_read = 0
        if labels is not None:
            # Label columns (``?lang=``) come from the Python writer on every database:
            # the PostgreSQL writer renders the fixed columns only.
            columns = with_labels(columns, labels)
        stored = None
        if labels is None and pg_csv.supports(queryset):
            stored = stored_lines.StoredCsv(queryset, columns, ctx, bom=bom)
        if stored is not None and stored.usable:
            self._chunks, self._texts = stored, None
            self._pieces = _primed_bytes(iter(stored))
        elif stored is not None:
            self._chunks = pg_csv.Chunks(queryset, columns, ctx)
            self._texts = iter(self._chunks)
            self._pieces = pg_csv.stream_cases_csv(self._texts, columns, bom=bom)
        else:
            self._chunks = self._texts = None
            self._pieces = stream_csv(self._counted(primed(queryset)), columns, ctx, bom=bom)

    @property
    def slot_weight(self) -> float:
        """What one of its rows weighs against ``EXTRACT_UNCAPPED_ROWS`` (extracts.slots):
        sent from the stored lines (one COPY, ~60,000 rows a second at 100,000 cases) a
        row costs about an eighth of a rendered one (~8,000 a second as JSON)."""
        return STORED_ROW_WEIGHT if self._texts is None and self._chunks is not None else 1.0

    @property
    def count(self) -> int:
        return self._chunks.count if self._chunks is not None else self._records_read

    def _counted(self, records):
        for record in records:
            self._records_read += 1
            yield record

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._pieces
        finally:
            self.close()

    def close(self) -> None:
        """Stop early (the client went away): PostgreSQL's helper connections close.

        A streaming response calls this when it is closed, read to the end or not.
        """
        self._pieces.close()
        if self._texts is not None:  # started by the first chunk, even if never read
            self._texts.close()

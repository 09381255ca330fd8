"""Downloads: the case list's current query as CSV, JSON or a ZIP bundle.

Each view builds and validates its queryset and runs the first chunk's queries
*before* it returns the streaming response, so a bad query is a 400 (raised as
BadParameter), never a 200 that stops half-way. Large whole-list downloads run a
few at a time per host (``slots.capped``: the others get a 503 with Retry-After);
small ones, and one case's CSV or JSON, run at once.

Every download says how many data rows it holds in an ``X-Row-Count`` header
(cases, or case-outcome pairs for the outcome files; the ZIP gives its cases.csv's),
so a client knows what to expect before it has read to the end: one COUNT query.
"""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from ..extracts.bundle import stream_bundle
from ..extracts.cases_csv import CasesCsv
from ..extracts.queries import (
    cases_for_extract,
    label_language,
    list_query,
    outcome_pairs,
    primed,
    wants_bom,
)
from ..extracts.records import iter_records
from ..extracts.slots import ROW_COUNT_HEADER, capped
from ..extracts.writers import stream_csv, stream_json
from ..models import Case, Outcome
from ..plumbing.bad_parameter import BadParameter
from ..plumbing.licences import DATA_LICENCE
from ..reads.citations import AtlasRecord, atlas_apa
from ..releases.status import live_status
from ..tabular.columns import (
    OUTCOME_COLUMNS,
    ExportContext,
    Labels,
    case_columns,
    outcome_dimensions,
    with_labels,
)

CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def _context(request) -> ExportContext:
    """Runs one query (the outcome dimensions, which are columns)."""
    return ExportContext(dimensions=outcome_dimensions(), base_url=request.build_absolute_uri("/"))


def _labels(request) -> Labels | None:
    """The labels ``?lang=`` asks for (one query), or None: validated before anything."""
    language = label_language(request.GET)
    return Labels(language) if language else None


def _labelled(columns, labels: Labels | None):
    return with_labels(columns, labels) if labels is not None else columns


def _outcome_count(cases) -> int:
    return Outcome.objects.filter(case__in=cases.order_by().values("pk")).count()


def _download(content, content_type: str, filename: str, rows: int) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response[ROW_COUNT_HEADER] = str(rows)
    # The slice depends on the data, which curators change: always ask again.
    response["Cache-Control"] = "no-cache"
    return response


def _list_download(content, content_type: str, filename: str, rows: int):
    """A whole-list extract: a few large ones at a time per host (``slots.capped``)."""
    return capped(content, rows, lambda c: _download(c, content_type, filename, rows))


def _filename(what: str, extension: str) -> str:
    return f"coproduction-{what}-{timezone.now():%Y-%m-%d}.{extension}"


def _meta(request, *, case=None) -> dict:
    query = list_query(request.GET).urlencode()
    now = timezone.now()
    if case is None:
        page = request.build_absolute_uri(reverse("casestudies:case_list"))
        title = "Co-production cases" + (f" matching '{query}'" if query else "")
        page = f"{page}?{query}" if query else page
    else:
        page = request.build_absolute_uri(reverse("casestudies:case_detail", args=[case.slug]))
        title = case.title
    record = AtlasRecord(
        title=title,
        description=f"Data set, extract of {now:%Y-%m-%d}",
        url=page,
        accessed=now.date(),
        year=now.year,
        version=live_status(request).release.version if live_status(request).release else "",
    )
    return {
        "query": query,
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "note": "Many-valued fields are JSON arrays; null means 'not stated'.",
        "how_to_cite": atlas_apa(record).text,
        "license": DATA_LICENCE["path"],
    }


def cases_csv(request):
    bom = wants_bom(request.GET)
    labels = _labels(request)
    ctx = _context(request)
    cases = cases_for_extract(request.GET)
    rows = cases.count()
    content = CasesCsv(cases, case_columns(ctx.dimensions), ctx, bom=bom, labels=labels)
    return _list_download(content, CSV_TYPE, _filename("cases", "csv"), rows)


def outcomes_csv(request):
    bom = wants_bom(request.GET)
    labels = _labels(request)
    ctx = _context(request)
    cases = cases_for_extract(request.GET)
    count = _outcome_count(cases)
    rows = outcome_pairs(primed(cases, full=False))
    content = stream_csv(rows, _labelled(OUTCOME_COLUMNS, labels), ctx, bom=bom)
    return _list_download(content, CSV_TYPE, _filename("outcomes", "csv"), count)


def cases_json(request):
    labels = _labels(request)
    ctx = _context(request)
    cases = cases_for_extract(request.GET)
    count = cases.count()
    rows = primed(cases)
    columns = _labelled(case_columns(ctx.dimensions), labels)
    content = stream_json(rows, columns, ctx, key="cases", meta=_meta(request))
    return _list_download(content, JSON_TYPE, _filename("cases", "json"), count)


def outcomes_json(request):
    labels = _labels(request)
    ctx = _context(request)
    cases = cases_for_extract(request.GET)
    count = _outcome_count(cases)
    rows = outcome_pairs(primed(cases, full=False))
    columns = _labelled(OUTCOME_COLUMNS, labels)
    content = stream_json(rows, columns, ctx, key="outcomes", meta=_meta(request))
    return _list_download(content, JSON_TYPE, _filename("outcomes", "json"), count)


def extract_zip(request):
    if "lang" in request.GET:
        # Its datapackage.json describes the fixed columns, and the ZIP is what a
        # citation points at: one file for everyone.
        raise BadParameter(
            "lang",
            "extract.zip has no label columns; add lang to cases.csv, outcomes.csv, "
            "cases.json or outcomes.json instead.",
        )
    ctx = _context(request)
    columns = case_columns(ctx.dimensions)
    selected = cases_for_extract(request.GET)
    count = selected.count()
    cases = CasesCsv(selected, columns, ctx)
    # Validated now (it raises BadParameter like the cases query), run after cases.csv.
    outcomes_queryset = cases_for_extract(request.GET)
    query = list_query(request.GET).urlencode()
    list_url = request.build_absolute_uri(reverse("casestudies:case_list"))
    content = stream_bundle(
        cases_csv=cases,
        outcome_rows_of=lambda: outcome_pairs(iter_records(outcomes_queryset, full=False)),
        case_columns=columns,
        ctx=ctx,
        query=query,
        list_url=f"{list_url}?{query}" if query else list_url,
        created=timezone.now(),
    )
    return _list_download(content, "application/zip", _filename("extract", "zip"), count)


def _one_case(slug: str):
    """The published case's record, or 404."""
    case = get_object_or_404(Case.objects.published().only("pk", "slug"), slug=slug)
    return next(iter_records(Case.objects.filter(pk=case.pk)))


def case_csv(request, slug):
    bom = wants_bom(request.GET)
    labels = _labels(request)
    case = _one_case(slug)
    ctx = _context(request)
    content = stream_csv([case], _labelled(case_columns(ctx.dimensions), labels), ctx, bom=bom)
    return _download(content, CSV_TYPE, _filename(f"case-{case.slug}", "csv"), 1)


def case_json(request, slug):
    labels = _labels(request)
    case = _one_case(slug)
    ctx = _context(request)
    columns = _labelled(case_columns(ctx.dimensions), labels)
    content = stream_json([case], columns, ctx, key="cases", meta=_meta(request, case=case))
    return _download(content, JSON_TYPE, _filename(f"case-{case.slug}", "json"), 1)

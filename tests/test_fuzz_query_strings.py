"""Hostile query strings and path segments at every public URL: never a 5xx, and
every 4xx says why.

URLs come from the URLconf at test time (tests/public_urls.py); routes with path
parameters run twice, once for a real published object and once for a bogus one.
Hypothesis draws query strings from unknown keys, the real facet keys, huge and
negative numbers, unicode, NUL bytes, SQL and template fragments, repeated keys,
raw percent-escapes and very long values. Each page also gets every parameter it
reads (found by watching which keys of ``request.GET`` it looks up) with each of
the sharpest values, and every path parameter gets hostile segments.
"""

import re
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .factories import CaseFactory, CountryFactory, OutcomeFactory, PolicyFieldFactory
from .public_urls import RealObjects, public_routes, route_path

# Keys the pages read (case list facets, sorting and paging, matrix, compare, extracts).
KNOWN_KEYS = [
    "q", "sort", "page", "per_page", "country", "welfare", "welfare_tradition", "region",
    "policy_field", "provider_type", "participation_form", "level", "phase", "outcome",
    "outcome_dimension", "outcome_direction", "chapter", "period", "from", "to", "start",
    "end", "year_from", "year_to", "rows", "cols", "cases", "format", "bom", "p",
]  # fmt: skip


def _discovered_keys() -> list[str]:
    """Facet parameters declared by the facets module, if it declares them."""
    try:
        from casestudies.facets import definitions
    except ImportError:
        return []
    keys = set()
    for value in vars(definitions).values():
        items = value.values() if isinstance(value, dict) else value
        if isinstance(items, list | tuple) or isinstance(value, dict):
            keys |= {item.param for item in items if isinstance(getattr(item, "param", None), str)}
    return sorted(keys)


KEYS = sorted(set(KNOWN_KEYS) | set(_discovered_keys()))

HOSTILE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "9" * 400,
    str(2**63),
    "-" + str(2**63),
    "0x1F",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    '"; DROP TABLE casestudies_case; --',
    "%",
    "%%",
    "_",
    "\\",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${7*7}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "ÿ\u202e\ufeff",
    "日本語",
    "🙂" * 50,
    "\ud7ff",
    "x" * 5000,
    "SE",
    "se",
    "ZZ",
    "childcare",
    "country",
    "participation_form",
    "improved",
    "1990-2000",
    "2000-1990",
    "abc-",
    "1,2,3",
    "-",
]

# templates/error.html's fallback when a 400 came without a message.
GENERIC_400 = "could not be understood"

keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=30))
values = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=200))
pairs = st.lists(st.tuples(keys, values), max_size=8)
# Raw fragments a browser would never send but a scanner does: bad escapes, bare separators.
raw_fragments = st.sampled_from(
    ["%ff%fe", "%", "%zz", "&&&", "=", "a=%00", "page=%F0%9F%99%82", ";", "a[]=1&a[]=2", "+"]
)


def _encode(pairs: list[tuple[str, str]], raw: list[str]) -> str:
    encoded = [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs]
    return "&".join(encoded + raw)


@pytest.fixture
def real(db, request):
    country = CountryFactory(code="SE", name="Sweden")
    field = PolicyFieldFactory(slug="childcare", label="Childcare")
    cases = [
        CaseFactory(countries=[country], policy_fields=[field], start_year=1990, end_year=2000)
        for _ in range(2)
    ]
    OutcomeFactory(case=cases[0])
    request.getfixturevalue("release_1_0")
    return RealObjects(cases[0].slug, cases[0].chapter.number, country.code)


def _targets():
    for route in public_routes():
        if route.has_params:
            yield pytest.param(route, "real", id=f"{route.name}-real")
            yield pytest.param(route, "bogus", id=f"{route.name}-bogus")
        else:
            yield pytest.param(route, "real", id=route.name)


def _assert_answer_is_sane(response, url):
    status = response.status_code
    if response.streaming:  # an extract: its error would come while streaming
        b"".join(response.streaming_content)
    assert status < 500, f"{status} for {url!r}"
    if 400 <= status < 500:
        body = response.content.decode("utf-8", "replace")
        assert body.strip(), f"empty {status} for {url!r}"
        if response.get("Content-Type", "").startswith("text/html"):
            # The site's error page, naming the status and, for a 400, what was wrong
            # (not only the template's generic fallback sentence).
            assert "error-page" in body, f"{status} outside the site's error page for {url!r}"
            assert re.search(rf"\b{status}\b", body), f"{status} not named for {url!r}"
            if status == 400:
                assert GENERIC_400 not in body, f"400 without a specific message for {url!r}"


@pytest.mark.parametrize(("route", "fill"), list(_targets()))
def test_hostile_query_strings_never_cause_a_server_error(client, real, route, fill):
    path = route_path(route, real if fill == "real" else None)

    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(pairs=pairs, raw=st.lists(raw_fragments, max_size=2))
    def check(pairs, raw):
        url = f"{path}?{_encode(pairs, raw)}"
        _assert_answer_is_sane(client.get(url), url)

    check()


@pytest.mark.parametrize("key", KEYS)
def test_every_known_key_with_every_hostile_value(client, real, key):
    # Every value, deterministically, on the list page, which reads every key; the other
    # pages (the CSV reads the same keys through the same selector) get random draws above.
    for value in HOSTILE_VALUES:
        url = f"/cases/?{quote(key)}={quote(value, safe='')}"
        _assert_answer_is_sane(client.get(url), url)


def test_repeated_keys_and_too_many_parameters(client, real):
    many = "&".join(f"country=SE&k{i}=v" for i in range(1200))
    for path in ["/cases/", "/matrix/", "/cases.csv"]:
        response = client.get(f"{path}?{many}")
        _assert_answer_is_sane(response, path)


# Values that broke a page once, or that each database treats specially: a search
# without a searchable word (a 500 on the matrix on SQLite), NUL (refused by
# PostgreSQL), a number past any integer column, a LIKE wildcard, quotes, a surrogate.
SHARP_VALUES = ["'", '"', "%", "🙂", "!!!", "\x00", "9" * 400, "-1", "", "\\", "' OR 1=1 --"]
# Shapes of a query that make a page read more parameters (the outcome columns of the
# matrix read outcome_dimension).
PROBE_QUERIES = ["", "cols=outcome&rows=welfare_tradition"]
_LOOKUPS = ("get", "getlist", "__getitem__", "__contains__")


@contextmanager
def _keys_read():
    """The keys a request's query (or a copy of it) is asked for while the block runs."""
    seen: set[str] = set()
    originals = {name: getattr(MultiValueDict, name) for name in _LOOKUPS}

    def watching(original):
        def lookup(self, key, *args, **kwargs):
            if isinstance(self, QueryDict) and isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)

        return lookup

    for name, original in originals.items():
        setattr(MultiValueDict, name, watching(original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(MultiValueDict, name, original)


def _parameters_read(client, path: str) -> list[str]:
    keys: set[str] = set()
    for query in PROBE_QUERIES:
        with _keys_read() as seen:
            response = client.get(f"{path}?{query}")
            if response.streaming:
                b"".join(response.streaming_content)
        keys |= seen
    return sorted(keys)


def _pages_with_parameters():
    # /cases/ gets every known key with every hostile value above.
    for route in public_routes():
        if route.name != "case_list":
            yield pytest.param(route, id=route.name)


@pytest.mark.parametrize("route", list(_pages_with_parameters()))
def test_every_parameter_a_page_reads_with_every_sharp_value(client, real, route):
    path = route_path(route, real)
    keys = _parameters_read(client, path)
    if route.name in {"matrix", "matrix_csv", "cases_csv", "extract_zip"}:
        # The watcher must see what these pages are known to read, or it sees nothing.
        assert {"q", "country", "year_from"} <= set(keys), keys
    for key in keys:
        for value in SHARP_VALUES:
            url = f"{path}?{quote(key)}={quote(value, safe='')}"
            _assert_answer_is_sane(client.get(url), url)


# Path segments: what a converter lets through reaches the view; what it refuses is
# the resolver's 404. Either way, never a 500.
HOSTILE_SEGMENTS = [
    "\x00", "SE\x00", "a\x00b", "'", "1'", "%", "%25", "..", "🙂", "9" * 40, "-1", "0",
    "\\evil.example", "x" * 3000, "<script>", "ÿ\u202e", "se", "Se", " SE", "SE ",
]  # fmt: skip
segments = st.one_of(
    st.sampled_from(HOSTILE_SEGMENTS), st.text(min_size=1, max_size=60).filter(lambda t: t != ".")
)


def _routes_with_parameters():
    for route in public_routes():
        if route.has_params:
            yield pytest.param(route, id=route.name)


@pytest.mark.parametrize("route", list(_routes_with_parameters()))
def test_hostile_path_segments_never_cause_a_server_error(client, real, route):
    real_path = route_path(route, real)
    filled = [str(getattr(real, attr)) for attr in ("case_slug", "chapter_number", "country_code")]
    # The first path segment filled from a real object; a route none fills (a release's
    # version, with no release in this data) has its last segment replaced instead.
    segment_at = next(
        (v for v in filled if f"/{v}/" in real_path or f"/{v}." in real_path),
        real_path.rstrip("/").rsplit("/", 1)[-1],
    )

    def path_with(segment: str) -> str:
        return real_path.replace(segment_at, quote(segment, safe=""), 1)

    for segment in HOSTILE_SEGMENTS:
        url = path_with(segment)
        _assert_answer_is_sane(client.get(url), url)

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(segment=segments)
    def check(segment):
        url = path_with(segment)
        _assert_answer_is_sane(client.get(url), url)

    check()

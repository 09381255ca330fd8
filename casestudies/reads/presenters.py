"""How a case reads to a person: labelled rows, with "not stated" for unknowns.

Shared by the case page, the compare view and anything else that lays a case
out field by field, so every page names and orders the fields the same way.
Expects a case loaded with ``Case.objects.with_related()``, or its :class:`Coding`
given apart (the case page reads it from the in-memory case index): no queries here.
"""

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from ..models import (
    CODED_DIMENSIONS,
    COUNTRIES,
    DIMENSION_FIELDS,
    DIMENSIONS,
    Case,
    Dimension,
    in_field_order,
)

NOT_STATED = _("not stated")
# Rows whose values are free text as the source or the curator wrote it, in English.
_FREE_TEXT = {"locality", "participants"}


@dataclass(frozen=True)
class FieldRow:
    key: str
    label: str
    values: tuple[str, ...]
    links: tuple[str, ...] = ()

    @property
    def items(self) -> list[tuple[str, str]]:
        """(text, link or "") pairs, for templates that link some values."""
        links = self.links or ("",) * len(self.values)
        return list(zip(self.values, links, strict=True))

    @property
    def is_stated(self) -> bool:
        return bool(self.values)

    @property
    def text_lang(self) -> str:
        """ "en" for a row of the source's own words (English whatever the page's language)."""
        return "en" if self.key in _FREE_TEXT else ""

    @property
    def is_name(self) -> bool:
        """A row of names (the chapter's authors): never translated."""
        return self.key == "chapter"

    @property
    def text(self) -> str:
        return self.joined(in_language(NOT_STATED))

    def joined(self, not_stated: str) -> str:
        """The values as one text, ``not_stated`` where there are none (``text`` in the
        page's language: a caller comparing many rows reads it once)."""
        return "; ".join(self.values) if self.values else not_stated


# Every row of case_field_rows, in order: key -> label. Pages that count or list the
# dimensions (the coverage page) name them from here, so they read as on the case page.
# The coded dimensions come from their registry, placed among the other rows by
# casestudies.models.dimensions.FIELD_ORDER.
_OTHER_ROWS = {
    "chapter": _("Chapter"),
    "locality": _("Locality"),
    "welfare_tradition": _("Welfare tradition"),
    "users_influence": _("Users' influence"),
    "participants": _("Participants"),
    "period": _("Period"),
    "units_studied": _("Units studied"),
    "outcomes": _("Outcomes"),
}
FIELD_LABELS = {
    key: ({d.field: d.label for d in DIMENSIONS} | _OTHER_ROWS)[key]
    for key in in_field_order([*DIMENSION_FIELDS, *_OTHER_ROWS])
}


# Lazy texts in the active language, each translated once per language: the case page
# compares ~20 rows of ~20 cases, and a lazy text's str() costs a gettext each time.
# Keyed by identity (hashing a lazy text translates it), the text kept with its str()
# so that its id is not reused while kept.
_in_language: dict[tuple, tuple] = {}


def in_language(text) -> str:
    """``str(text)`` of a lazy translation such as a module's label (kept per language)."""
    key = (get_language(), id(text))
    found = _in_language.get(key)
    if found is None or found[0] is not text:
        if len(_in_language) >= 1024:
            _in_language.clear()
        found = _in_language[key] = (text, str(text))
    return found[1]


def _row(key: str, values: tuple[str, ...], links: tuple[str, ...] = ()) -> FieldRow:
    return FieldRow(key, FIELD_LABELS[key], values, links)


@dataclass(frozen=True)
class Coding:
    """What the rows read of a case's relations: its countries (each with its welfare
    tradition loaded), the terms of every coded dimension (by field), its users'
    influence and its outcomes as (dimension, direction) pairs, each list in the
    order the page shows it."""

    countries: list
    terms: dict[str, list]
    users_influence: object | None
    outcomes: list[tuple]

    @classmethod
    def prefetched(cls, case: Case) -> "Coding":
        """From a case loaded ``with_related`` (no queries)."""
        return cls(
            countries=list(case.countries.all()),
            terms={d.field: list(getattr(case, d.field).all()) for d in CODED_DIMENSIONS},
            users_influence=case.users_influence,
            outcomes=[(o.dimension, o.direction) for o in case.outcomes.all()],
        )


# reverse() of the few fixed pages the rows link to (the list, the codebook, a country,
# a chapter), per URL configuration, script prefix and language: a case page links
# each of its ~20 values, and reverse() was ~18 % of its time.
_reversed: dict[tuple, str] = {}
_REVERSED_KEPT = 4096


def _url(viewname: str, *args) -> str:
    key = (
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        get_language(),
        viewname,
        args,
    )
    url = _reversed.get(key)
    if url is None:
        if len(_reversed) >= _REVERSED_KEPT:
            _reversed.clear()
        url = _reversed[key] = reverse(viewname, args=args)
    return url


def fixed_url(viewname: str) -> str:
    """reverse() of a page without arguments, kept per language (see ``_url``)."""
    return _url(viewname)


# A case's own page: reverse() once per language with a stand-in slug, then the slug
# put in its place (a slug needs no quoting; reverse() was two of the case page's
# ~50 calls per related case).
_SLUG_MARK = "0-slug-0"


def case_url(slug: str) -> str:
    """The case page of ``slug`` (what ``Case.get_absolute_url`` gives)."""
    return _url("casestudies:case_detail", _SLUG_MARK).replace(_SLUG_MARK, slug)


def list_url(param: str, value: str) -> str:
    """The case list filtered to one value: where a coded value leads."""
    return f"{_url('casestudies:case_list')}?{urlencode({param: value})}"


def _linked(key: str, terms: list, param: str, links: bool) -> FieldRow:
    """Each term of a many-valued field, linked to the list filtered to it."""
    return _row(
        key,
        tuple(str(t) for t in terms),
        tuple(list_url(param, t.slug) for t in terms) if links else (),
    )


def codebook_url(term) -> str:
    """A term's definition: where a value leads that the list cannot filter by."""
    return f"{_url('casestudies:codebook')}#{term.vocabulary_key}-{term.slug}"


def _defined(key: str, terms, links: bool = True) -> FieldRow:
    terms = [t for t in terms if t is not None]
    return _row(
        key, tuple(str(t) for t in terms), tuple(codebook_url(t) for t in terms) if links else ()
    )


def period_text(case: Case) -> tuple[str, ...]:
    if case.start_year and case.end_year:
        return (f"{case.start_year}–{case.end_year}",)
    if case.start_year:
        return (gettext("from %(year)s") % {"year": case.start_year},)
    if case.end_year:
        return (gettext("until %(year)s") % {"year": case.end_year},)
    return ()


def _dimension_row(coding: Coding, d: Dimension, links: bool) -> FieldRow:
    """A coded dimension's row: each value linked to the list filtered to it, or to
    its definition when the list has no filter for it."""
    if d.param is None:
        return _defined(d.field, coding.terms[d.field], links)
    return _linked(d.field, coding.terms[d.field], d.param, links)


_ROW_ORDER = {key: place for place, key in enumerate(FIELD_LABELS)}


def case_field_rows(case: Case, coding: Coding | None = None, *, links=True) -> list[FieldRow]:
    """The case's rows, in the one field order. ``coding``: its relations, when not
    prefetched on ``case`` (which then needs only its own columns and its chapter).
    ``links=False``: the texts alone (what comparing two cases reads)."""
    if coding is None:
        coding = Coding.prefetched(case)
    countries = coding.countries
    traditions, tradition_links = [], []
    for country in countries:
        tradition = country.welfare_tradition
        named = str(tradition) if tradition else gettext("not classified")
        traditions.append(f"{country}: {named}")
        if links:  # "Not classified" is no value the list can select: plain text.
            tradition_links.append(
                list_url("welfare_tradition", tradition.slug) if tradition else ""
            )
    outcomes = coding.outcomes
    chapter = case.chapter
    rows = [
        _row(
            "chapter",
            (f"{chapter.number}. {chapter.authors}",),
            (_url("casestudies:chapter_detail", chapter.number),) if links else (),
        ),
        # The countries link to their own pages, not to the filtered list.
        _row(
            COUNTRIES.field,
            tuple(str(c) for c in countries),
            tuple(_url("casestudies:country_detail", c.code.lower()) for c in countries)
            if links
            else (),
        ),
        _row("locality", (case.locality,) if case.locality else ()),
        _row("welfare_tradition", tuple(traditions), tuple(tradition_links)),
        *(_dimension_row(coding, d, links) for d in CODED_DIMENSIONS),
        _defined("users_influence", [coding.users_influence], links),
        _row("participants", (case.participants,) if case.participants else ()),
        _row("period", period_text(case)),
        _row(
            "units_studied",
            (str(case.units_studied),) if case.units_studied else (),
        ),
        _row(
            "outcomes",
            tuple(f"{dimension}: {direction}" for dimension, direction in outcomes),
            tuple(
                list_url("outcome", f"{dimension.slug}:{direction.slug}")
                for dimension, direction in outcomes
            )
            if links
            else (),
        ),
    ]
    return sorted(rows, key=lambda row: _ROW_ORDER[row.key])


def _text(value) -> str:
    """What ``{{ value }}`` prints: escaped unless marked safe."""
    return value if isinstance(value, SafeData) else escape(str(value))


def rows_html(rows: list[FieldRow]) -> SafeString:
    """The rows as the case page prints them in its ``<dl>``: each value linked where
    it has a link, "not stated" where it has none.

    Joined here rather than looped over in the template (~0.5 ms of a page's ~5 for
    its ~20 rows and their values). The whitespace and escaping are the template's
    loop's: a value, a label and a link escaped, the translation not (as
    ``{% translate %}``).
    """
    not_stated = f'<span class="not-stated">{gettext("not stated")}</span>'
    parts = []
    for row in rows:
        if row.values:
            content = "; ".join(
                f'<a href="{_text(href)}">{_text(text)}</a>' if href else _text(text)
                for text, href in row.items
            )
        else:
            content = not_stated
        if row.is_name:
            attributes = ' translate="no"'
        elif row.text_lang:
            attributes = f' lang="{row.text_lang}"'
        else:
            attributes = ""
        parts.append(
            f'\n      <div class="field{"" if row.values else " is-unstated"}">\n'
            f"        <dt>{_text(in_language(row.label))}</dt>\n"
            f"        <dd{attributes}>{content}</dd>\n      </div>\n    "
        )
    return mark_safe("".join(parts))

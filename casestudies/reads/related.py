"""Cases related to a case: the same policy field elsewhere, and its chapter's others.

Each related case comes with the fields in which it differs from the case being
read (named as ``case_field_rows`` names them), which is what makes a related
case worth following: "the same childcare arrangement, but a municipal provider".

They are chosen from the in-memory case index where there is one
(:meth:`CaseIndex.choose`), else in SQL (:func:`choose_by_sql`). The case page
reads them through ``case_page.py``.
"""

from dataclasses import dataclass
from html import escape  # Django's escape() without its lazy-text wrapper

from django.db.models import Count, Exists, OuterRef
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..models import Case
from . import case_index
from .case_index import Chosen
from .presenters import (
    FIELD_LABELS,
    NOT_STATED,
    FieldRow,
    case_field_rows,
    case_url,
    fixed_url,
    in_language,
)

MAX_SAME_FIELD = 6
MAX_SAME_CHAPTER = 12


@dataclass(frozen=True)
class RelatedCase:
    case: Case  # its own columns and its chapter
    countries: list  # its countries, in the page's order
    differences: list[str]  # labels of the fields whose values differ


@dataclass(frozen=True)
class RelatedCases:
    same_field: list[RelatedCase]
    same_chapter: list[RelatedCase]
    same_chapter_total: int

    def __bool__(self) -> bool:
        return bool(self.same_field or self.same_chapter)


# The chapter is shown beside each related case (and differs by construction for
# the same-field list), so naming it among the differences would only add noise.
NOT_COMPARED = {"chapter"}


def differing_fields(mine: list[FieldRow], theirs: list[FieldRow], labels=None) -> list[str]:
    """Labels of the rows (``case_field_rows`` of two cases) whose values differ.

    ``labels``: {row key: label in the page's language}, when the caller compares
    many cases (each label is then translated once, not once per difference).
    """
    found = []
    not_stated = None
    for row, other in zip(mine, theirs, strict=True):
        # The same values read the same: only different ones need their texts joined.
        if row.key in NOT_COMPARED or row.values == other.values:
            continue
        if not (row.values and other.values) and not_stated is None:
            not_stated = in_language(NOT_STATED)  # what FieldRow.text reads of no value
        if row.joined(not_stated) != other.joined(not_stated):
            found.append(labels[row.key] if labels is not None else str(row.label))
    return found


def field_labels() -> dict[str, str]:
    """{row key: label} in the active language."""
    return {key: in_language(label) for key, label in FIELD_LABELS.items()}


@dataclass(frozen=True, slots=True)
class RelatedLine:
    """A related case as the case page prints it (``html``; includes/related_cases.html)."""

    href: str
    title: str
    meta: SafeString  # its countries and chapter
    differences: SafeString
    compare_href: str
    compare_label: SafeString

    @property
    def html(self) -> SafeString:
        """The line as the page prints it (what an include per line gave, ~20 a page)."""
        return mark_safe(
            f'<li>\n  <a href="{escape(self.href)}" lang="en">{escape(self.title)}</a>\n'
            f'  <span class="meta">({self.meta})</span>\n'
            f'  <br><span class="differences">{self.differences}</span>\n'
            f'  <a class="compare-link" href="{escape(self.compare_href)}">'
            f"{self.compare_label}</a>\n</li>\n"
        )


def related_lines(case: Case, related: list[RelatedCase]) -> list[RelatedLine]:
    """The lines of ``related`` on ``case``'s page, in the active language.

    Worked out here rather than in the template: per related case the template spent
    three translation blocks, two reverse() calls and a loop (~3 ms of ~7 a page).
    The texts are the template's own, with its msgids and its escaping (a value is
    escaped, a translation is not).
    """
    not_stated = escape(gettext("country not stated"))
    chapter = gettext("chapter %(number)s")
    differs = gettext("Differs in: %(fields)s.")
    same = mark_safe(escape(gettext("Coded the same in every field.")))
    compare = gettext('Compare side by side<span class="visually-hidden"> with %(title)s</span>')
    compare_url = f"{fixed_url('casestudies:compare')}?cases={case.slug},"  # escaped when shown
    lines = []
    for r in related:
        other = r.case
        countries = ", ".join(escape(str(c)) for c in r.countries) or not_stated
        number = chapter % {"number": other.chapter.number}
        fields = ", ".join(escape(label) for label in r.differences)
        lines.append(
            RelatedLine(
                href=case_url(other.slug),
                title=other.title,
                meta=mark_safe(f"{countries}; {number}"),
                differences=mark_safe(differs % {"fields": fields}) if fields else same,
                compare_href=compare_url + other.slug,
                compare_label=mark_safe(compare % {"title": escape(other.title)}),
            )
        )
    return lines


def choose_by_sql(case: Case) -> Chosen:
    """The related lists chosen in SQL (SQLite, which has no data stamp): three queries.

    ``case`` loaded ``with_related``. Gives what :meth:`CaseIndex.choose` gives.
    """
    others = Case.objects.published().exclude(pk=case.pk)
    same_chapter = others.filter(chapter_id=case.chapter_id)
    chapter_total = same_chapter.count()
    chapter_ids = list(
        same_chapter.order_by("title", "pk").values_list("pk", flat=True)[:MAX_SAME_CHAPTER]
    )
    field_ids: list[int] = []
    policy_fields = [term.pk for term in case.policy_fields.all()]
    if policy_fields:
        countries = [country.pk for country in case.countries.all()]
        elsewhere = Case.countries.through.objects.filter(case_id=OuterRef("pk")).exclude(
            country_id__in=countries
        )
        field_ids = list(
            others.exclude(chapter_id=case.chapter_id)
            .filter(policy_fields__in=policy_fields)
            .filter(Exists(elsewhere))
            .annotate(shared=Count("policy_fields", distinct=True))
            .order_by("-shared", "title", "pk")
            .values_list("pk", flat=True)[:MAX_SAME_FIELD]
        )
    return Chosen(field_ids, chapter_ids, chapter_total)


def _choose_in_memory(pk: int, using: str) -> Chosen | None:
    index = case_index.current(using)
    if index is None:
        return None
    return index.choose(pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER)


def related_cases(case: Case) -> RelatedCases:
    """Related published cases of ``case`` (loaded with ``with_related``).

    Chosen from the in-memory index where there is one (PostgreSQL: the stamp's one
    query), else in SQL; then one ``with_related`` load of the chosen cases.
    """
    chosen = _choose_in_memory(case.pk, case._state.db) or choose_by_sql(case)
    ids = [*chosen.same_field, *chosen.same_chapter]
    loaded = Case.objects.using(case._state.db).with_related().in_bulk(ids) if ids else {}
    mine = case_field_rows(case)  # once, not once per related case
    labels = field_labels()

    def related(ids) -> list[RelatedCase]:
        found = [loaded[pk] for pk in ids if pk in loaded]
        return [
            RelatedCase(
                other,
                list(other.countries.all()),
                differing_fields(mine, case_field_rows(other), labels),
            )
            for other in found
        ]

    return RelatedCases(
        related(chosen.same_field), related(chosen.same_chapter), chosen.same_chapter_total
    )

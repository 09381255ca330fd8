"""Cases side by side: 2–4 chosen cases, or every published case of one chapter.

``/compare/?cases=a,b`` and ``/compare/?cases=a&cases=b`` (what the case list's
checkboxes submit) are the same selection. Without a selection the page explains
how to make one; a selection that is given but unusable is a 400.

The picker (``?find=words``) lists the published cases the case list's search
finds, with checkboxes that submit ``cases``: choosing works without JavaScript.
A selection made in the picker that is unusable (one case ticked, five) shows the
picker again with the reason, still as a 400.
"""

from dataclasses import dataclass

from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext

from ..facets import CaseQuery
from ..models import Case, Chapter
from ..plumbing.bad_parameter import BadParameter
from ..reads.presenters import FieldRow, case_field_rows

MIN_CASES = 2
MAX_CASES = 4
# A chapter rarely has more than a handful of cases; beyond this the columns stop
# being readable, so the page shows the first ones and says so.
MAX_CHAPTER_CASES = 8
MAX_SLUG_LENGTH = 120
# The picker lists this many matches; a narrower search finds the rest.
PICKER_LIMIT = 40


@dataclass(frozen=True)
class CompareRow:
    label: str
    fields: list[FieldRow]  # one per case, in column order
    differs: bool


def compare_rows(cases: list[Case]) -> list[CompareRow]:
    """One row per field of ``case_field_rows``; ``differs`` when any two values differ."""
    per_case = [case_field_rows(case) for case in cases]
    rows = []
    for index, first in enumerate(per_case[0] if per_case else []):
        fields = [rows_of_case[index] for rows_of_case in per_case]
        rows.append(CompareRow(first.label, fields, len({f.text for f in fields}) > 1))
    return rows


def requested_slugs(params) -> list[str]:
    """Slugs from ``cases``, comma-separated or repeated, in order, without repeats."""
    slugs = []
    for value in params.getlist("cases"):
        for slug in value.split(","):
            slug = slug.strip()
            if slug and slug not in slugs:
                slugs.append(slug)
    return slugs


def _chosen_cases(slugs: list[str]) -> list[Case]:
    if len(slugs) < MIN_CASES:
        raise BadParameter(
            "cases",
            gettext("choose at least %(least)s different cases to compare.") % {"least": MIN_CASES},
        )
    if len(slugs) > MAX_CASES:
        raise BadParameter(
            "cases",
            gettext("compare at most %(most)s cases at once (%(given)s were given).")
            % {"most": MAX_CASES, "given": len(slugs)},
        )
    too_long = [s for s in slugs if len(s) > MAX_SLUG_LENGTH]
    if too_long:
        raise BadParameter(
            "cases", gettext("'%(value)s…' is not a case identifier.") % {"value": too_long[0][:40]}
        )
    found = {c.slug: c for c in Case.objects.published().with_related().filter(slug__in=slugs)}
    missing = [s for s in slugs if s not in found]
    if missing:
        # Drafts are reported like unknown slugs: their existence is not public.
        raise BadParameter(
            "cases",
            gettext("no published case is called '%(names)s'.")
            % {"names": ", ".join(missing)[:120]},
        )
    return [found[s] for s in slugs]


def _chapter_cases(value: str) -> tuple[Chapter, list[Case], int]:
    if not value.isdigit() or len(value) > 4:
        raise BadParameter(
            "chapter", gettext("'%(value)s' is not a chapter number.") % {"value": value[:20]}
        )
    chapter = Chapter.objects.select_related("source").filter(number=int(value)).first()
    if chapter is None:
        raise BadParameter(
            "chapter", gettext("there is no chapter %(number)s.") % {"number": int(value)}
        )
    published = Case.objects.published().filter(chapter=chapter)
    total = published.count()
    cases = list(published.with_related().order_by("title", "pk")[:MAX_CHAPTER_CASES])
    return chapter, cases, total


def picker_cases(find: str, chosen: list[str]) -> tuple[list[tuple[Case, bool]], int]:
    """(case, ticked) for the cases the list's search finds, and how many it finds.

    Searching runs the case list's own search (a count and the first titles);
    cases already chosen come first, ticked, so a second search adds to them.
    """
    params = QueryDict(mutable=True)
    if find:
        params["q"] = find
    query = CaseQuery(params)
    total = query.filtered.count()
    found = list(query.cases.only("slug", "title")[:PICKER_LIMIT])
    kept = list(Case.objects.published().filter(slug__in=chosen).only("slug", "title"))
    kept.sort(key=lambda case: chosen.index(case.slug))
    seen = {case.slug for case in kept}
    return [(c, True) for c in kept] + [(c, False) for c in found if c.slug not in seen], total


def _picker(request, slugs: list[str], error: str = "", status: int = 200):
    find = request.GET.get("find", "").strip()
    choices, total = picker_cases(find, slugs)
    context = {
        "min_cases": MIN_CASES,
        "max_cases": MAX_CASES,
        "chapter": None,
        "cases": [],
        "picker": True,
        "find": find,
        "choices": choices,
        "found_total": total,
        "picker_limit": PICKER_LIMIT,
        "error": error,
    }
    return render(request, "casestudies/compare.html", context, status=status)


def compare(request):
    slugs = requested_slugs(request.GET)
    chapter_value = request.GET.get("chapter", "").strip()
    if slugs and chapter_value:
        raise BadParameter("chapter", gettext("give either cases or a chapter, not both."))
    context = {"min_cases": MIN_CASES, "max_cases": MAX_CASES, "chapter": None}
    if "find" in request.GET and not chapter_value:
        if "pick" not in request.GET:  # searching, not yet comparing
            return _picker(request, slugs)
        try:
            _chosen_cases(slugs)
        except BadParameter as error:
            return _picker(request, slugs, error.message, status=400)
        # A valid pick: fall through to the comparison below.
    if chapter_value:
        chapter, cases, total = _chapter_cases(chapter_value)
        context.update(chapter=chapter, chapter_total=total)
    elif slugs or "cases" in request.GET:
        cases = _chosen_cases(slugs)
    else:
        return _picker(request, [])
    rows = compare_rows(cases)
    context.update(
        cases=cases,
        rows=rows,
        difference_count=sum(row.differs for row in rows),
        max_chapter_cases=MAX_CHAPTER_CASES,
    )
    return render(request, "casestudies/compare.html", context)

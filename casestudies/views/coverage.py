"""The coverage page: per chapter, what is coded and what is still "not stated".

Everyone sees the counts, drafts included (how much is still being coded is
no secret). The titles, statuses and coder's notes of cases not yet published
are the curators' to-do list: only signed-in users who may view cases see them,
a page at a time. The counts are one grouped query (``reads.coverage.coverage_summary``),
so the page costs the same few queries for 30 cases or 30,000.
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from ..reads.coverage import UnpublishedCases, coverage_summary

DRAFTS_PER_PAGE = 50
VIEW_PERMISSION = "casestudies.view_case"


def coverage(request):
    rows, overall = coverage_summary()
    published = sum(row.published for row in rows)
    unpublished = sum(row.unpublished for row in rows)
    is_curator = request.user.has_perm(VIEW_PERMISSION)
    drafts = None
    if is_curator and unpublished:
        drafts = Paginator(UnpublishedCases(unpublished), DRAFTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    context = {
        "rows": rows,
        "overall": overall if published + unpublished else [],
        "dimension_labels": [d.label for d in overall],
        "case_count": published + unpublished,
        "published_count": published,
        "unpublished_count": unpublished,
        "is_curator": is_curator,
        "drafts": drafts,
    }
    return render(request, "casestudies/coverage.html", context)

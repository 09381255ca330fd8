from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from ..models import Case, Chapter
from ..reads.citations import chapter_apa, chapter_bibtex

# The chapter pages name a chapter's cases, not all of them: a chapter can hold
# thousands (imports, benchmark data), and the case list filtered by chapter pages
# through them all. Each page links there with the full count.
CASES_PER_CHAPTER_ON_LIST = 10
CASES_ON_CHAPTER_PAGE = 100


def chapter_list(request):
    # Sliced prefetch: one window-function query takes the first cases of every chapter.
    published = Case.objects.published().order_by("title", "pk")
    chapters = Chapter.objects.with_case_counts().prefetch_related(
        Prefetch(
            "cases",
            queryset=published[:CASES_PER_CHAPTER_ON_LIST],
            to_attr="published_cases",
        )
    )
    return render(request, "casestudies/chapter_list.html", {"chapters": chapters})


def chapter_detail(request, number):
    chapter = get_object_or_404(Chapter.objects.with_case_counts(), number=number)
    cases = list(
        Case.objects.published()
        .with_related()
        .filter(chapter=chapter)
        .order_by("title", "pk")[:CASES_ON_CHAPTER_PAGE]
    )
    context = {
        "chapter": chapter,
        "cases": cases,
        "more_cases": chapter.published_case_count > len(cases),
        "citation_apa": chapter_apa(chapter),
        "citation_bibtex": chapter_bibtex(chapter),
    }
    return render(request, "casestudies/chapter_detail.html", context)

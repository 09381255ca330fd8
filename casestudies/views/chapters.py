from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from ..models import Case, Chapter
from ..reads.citations import chapter_apa, chapter_bibtex


def chapter_list(request):
    published = Case.objects.published().prefetch_related("countries").order_by("title")
    chapters = Chapter.objects.with_case_counts().prefetch_related(
        Prefetch("cases", queryset=published, to_attr="published_cases")
    )
    return render(request, "casestudies/chapter_list.html", {"chapters": chapters})


def chapter_detail(request, number):
    chapter = get_object_or_404(Chapter.objects.select_related("source"), number=number)
    cases = Case.objects.published().with_related().filter(chapter=chapter).order_by("title")
    context = {
        "chapter": chapter,
        "cases": cases,
        "citation_apa": chapter_apa(chapter),
        "citation_bibtex": chapter_bibtex(chapter),
    }
    return render(request, "casestudies/chapter_detail.html", context)

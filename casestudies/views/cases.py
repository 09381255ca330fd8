from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from ..citations import chapter_apa, chapter_bibtex
from ..models import Case
from ..presenters import case_field_rows
from ..selectors import published_cases_for_query

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """Return the requested page; a page past the end or not a number is a 404."""
    paginator = Paginator(queryset, per_page)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise Http404(f"There is no page {number!s:.20} of these results.") from exc


def case_list(request):
    cases = published_cases_for_query(request.GET).with_related()
    page = paginate(request, cases)
    return render(request, "casestudies/case_list.html", {"page": page, "cases": page.object_list})


def case_detail(request, slug):
    case = get_object_or_404(Case.objects.published().with_related(), slug=slug)
    context = {
        "case": case,
        "rows": case_field_rows(case),
        "citation_apa": chapter_apa(case.chapter),
        "citation_bibtex": chapter_bibtex(case.chapter),
    }
    return render(request, "casestudies/case_detail.html", context)

"""Template tags for the page's language: alternates, data URLs, label fallbacks."""

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import gettext

from casestudies.models import Localized
from casestudies.models import in_sentence as _in_sentence
from config.languages import data_url as _data_url
from config.languages import request_url_in_language

register = template.Library()


@register.simple_tag(takes_context=True)
def language_alternates(context) -> list[dict]:
    """The page in every shipped language, for ``<link rel="alternate" hreflang>``.

    Absolute URLs (search engines want them), the query string kept; ``x-default``
    is the unprefixed English page. None for a page that resolves to no route (a 404).
    """
    request = context.get("request")
    if request is None or getattr(request, "resolver_match", None) is None:
        return []
    alternates = [
        {
            "hreflang": code,
            "url": request.build_absolute_uri(request_url_in_language(request, code)),
        }
        for code, _name in settings.LANGUAGES
    ]
    default = request_url_in_language(request, settings.LANGUAGE_CODE)
    alternates.append({"hreflang": "x-default", "url": request.build_absolute_uri(default)})
    return alternates


@register.simple_tag
def data_url(viewname: str, *args, query: str = "", extra: str = "") -> str:
    """A data route's one URL (no language prefix): extracts are the same in every language.

    ``query`` (the page's filters) and ``extra`` (``bom=1``) make its query string.
    """
    query_string = "&".join(part for part in (query, extra) if part)
    url = _data_url(viewname, *args)
    return f"{url}?{query_string}" if query_string else url


@register.filter
def in_sentence(label) -> str:
    """A label as it reads inside a sentence: lower case, except German nouns."""
    return _in_sentence(str(label))


@register.filter
def localized(term, field: str = "label"):
    """A vocabulary term's label (or ``definition``) in the page's language.

    Where no translation is written, the English source is shown with ``lang="en"``
    and a visible "(in English)" mark, so a reader knows the gap is not theirs.
    """
    if term is None or term == "":
        return ""
    if isinstance(term, str):  # already in the page's language (or a name)
        return term
    text = term if isinstance(term, Localized) else term.localized(field)
    if not text.is_fallback:
        return text.text
    return format_html(
        '<span lang="en">{}</span> <span class="fallback-mark">{}</span>',
        text.text,
        gettext("(in English)"),
    )


@register.filter
def localized_text(term, field: str = "label") -> str:
    """:func:`localized` as plain text, for attributes and options that take no markup."""
    if term is None or term == "":
        return ""
    if isinstance(term, str):
        return term
    text = term if isinstance(term, Localized) else term.localized(field)
    return str(text)

"""Which language a request is answered in, and where a visitor is sent to get it.

The policy (docs/languages.md): English, the source language, is served at
unprefixed URLs (``/cases/``); German, French and Spanish at prefixed ones
(``/de/cases/``). A URL therefore always names its language, so a shared link
shows the sender's language and search engines index every language.

``LanguageRedirectMiddleware`` adds two things Django's ``LocaleMiddleware`` does
not do when the default language is unprefixed:

- a visitor who opens an unprefixed page and prefers another language (the
  switcher's cookie, else the browser's ``Accept-Language``) is sent to that
  language's URL, path and query string kept. Choosing English in the switcher
  sets the cookie to ``en``, which stops the redirect.
- the data URLs (CSV, JSON, ZIP, release files) do not change with the
  language: a prefixed one (``/de/cases.csv``) is sent permanently to the
  unprefixed one, so an extract and the citation inside it are the same bytes
  whatever language the page that linked to it was in.
"""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

# Route names (in the casestudies namespace) whose response does not depend on the
# language: machine-readable files and the health check.
DATA_ROUTES = frozenset(
    {
        "cases_csv",
        "cases_json",
        "outcomes_csv",
        "outcomes_json",
        "extract_zip",
        "case_csv",
        "case_json",
        "matrix_csv",
        "release_datacite",
        "release_file",
        "health",
    }
)
DATA_NAMESPACE = "casestudies"


def is_data_route(match) -> bool:
    return match.namespace == DATA_NAMESPACE and match.url_name in DATA_ROUTES


def data_url(viewname: str, *args, **kwargs) -> str:
    """The one URL of a data route, whatever the page's language (no prefix)."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(viewname, args=args or None, kwargs=kwargs or None)


def url_in_language(full_path: str, language: str) -> str:
    """``full_path`` (path and query string) as the page in ``language``.

    Resolved in the path's own language: ``translate_url`` resolves with the active
    language, and an English request could not resolve ``/de/...``.
    """
    path_language = translation.get_language_from_path(full_path.split("?", 1)[0])
    with translation.override(path_language or settings.LANGUAGE_CODE):
        return translate_url(full_path, language)


def request_url_in_language(request, language: str) -> str:
    """``url_in_language(request.get_full_path(), language)``, for a request whose path
    has resolved: reversed from its match instead of resolving the path again
    (``translate_url`` without its ``resolve()``: a page names itself in five
    languages, and resolving was most of the ~0.4 ms that cost). Kept on the request.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or request.path != request.path_info:  # a script prefix: as before
        return url_in_language(request.get_full_path(), language)
    kept = request.__dict__.setdefault("_atlas_in_language", {})
    url = kept.get(language)
    if url is None:
        url = full_path = request.get_full_path()
        parsed = urlsplit(full_path)
        name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        with translation.override(language):
            try:
                path = reverse(name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                pass
            else:
                url = urlunsplit(
                    (parsed.scheme, parsed.netloc, path, parsed.query, parsed.fragment)
                )
        kept[language] = url
    return url


def preferred_language(request) -> str:
    """The switcher's cookie if it names a language we ship, else Accept-Language."""
    return translation.get_language_from_request(request, check_path=False)


class LanguageRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect = self._redirect(request)
        if redirect is not None:
            return redirect
        response = self.get_response(request)
        if not translation.get_language_from_path(request.path_info):
            # An unprefixed page answers English to some visitors and a redirect to others.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def _redirect(self, request):
        if request.method not in ("GET", "HEAD"):
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        path_language = translation.get_language_from_path(request.path_info)
        full_path = request.get_full_path()
        if is_data_route(match):
            if path_language:
                return HttpResponsePermanentRedirect(
                    url_in_language(full_path, settings.LANGUAGE_CODE)
                )
            return None
        if path_language:
            return None
        preferred = preferred_language(request)
        if preferred == settings.LANGUAGE_CODE:
            return None
        target = url_in_language(full_path, preferred)
        if target == full_path:  # a route outside the language prefixes (set_language)
            return None
        response = HttpResponseRedirect(target)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


@csrf_exempt
@require_POST
def set_language(request):
    """Django's ``set_language``, with ``next`` resolved in its own language.

    CSRF-exempt on purpose: the only effect is the language cookie, and a token in the
    header's form would give every public page a CSRF cookie and ``Vary: Cookie``
    for everyone, so no shared cache could keep a page. The worst a forged request
    can do is change a visitor's language, which the page itself shows and undoes.
    """
    next_url = request.POST.get("next", "")
    path_language = translation.get_language_from_path(next_url.split("?", 1)[0])
    # Django's view translates `next` with the active language (English here, at the
    # unprefixed /i18n/setlang/), which cannot resolve a prefixed path.
    with translation.override(path_language or settings.LANGUAGE_CODE):
        return django_set_language(request)

"""Every public URL of the site, read from the URLconf when the tests run.

The security and fuzz tests walk this list, so a page that someone adds to
``casestudies/urls.py`` later is covered without anyone editing those tests.
Path parameters are filled with a real published case, chapter or country
(``real``) or with values that match the converter but name nothing (``bogus``).
"""

import itertools
from dataclasses import dataclass

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

NAMESPACE = "casestudies"
# Machine endpoints that take no query string and answer the same to anything.
NOT_PAGES = {"health"}


@dataclass(frozen=True)
class PublicRoute:
    name: str
    params: tuple[tuple[str, str], ...]  # (parameter name, converter class name)

    @property
    def has_params(self) -> bool:
        return bool(self.params)


def _walk(patterns, namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and namespace == NAMESPACE and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            params = tuple((key, type(conv).__name__) for key, conv in converters.items())
            yield PublicRoute(entry.name, params)


def public_routes(include_machine: bool = False) -> list[PublicRoute]:
    """Named routes of the public app (the admin is another namespace and is skipped)."""
    routes = sorted(set(_walk(get_resolver().url_patterns)), key=lambda r: r.name)
    return [r for r in routes if include_machine or r.name not in NOT_PAGES]


@dataclass
class RealObjects:
    case_slug: str
    chapter_number: int
    country_code: str
    release_version: str = "1.0"  # the tests' `release_1_0` fixture makes it


def _candidates(param: str, real: RealObjects | None) -> list[object]:
    """Values to try for one path parameter, the likeliest first (by its name)."""
    name = param.lower()
    if name == "version":  # a release: "9.9" fits the converter and names none
        return [real.release_version if real else "9.9"]
    if name == "name":  # a release's file
        return ["cases.csv"]
    if real is None:  # bogus, but shaped so that some converter accepts it and the view runs
        values = ["no-such-thing-here", 98765, "QQ"]
        if "code" in name or "iso" in name or "country" in name:
            values.insert(0, "QQ")
        return values
    values = [real.case_slug, real.chapter_number, real.country_code]
    if "number" in name or "chapter" in name:
        values.insert(0, real.chapter_number)
    if "code" in name or "iso" in name or "country" in name:
        values.insert(0, real.country_code)
    return values


def route_path(route: PublicRoute, real: RealObjects | None) -> str:
    """The route's path, each parameter filled with the first candidate its converter takes."""
    names = [param for param, _ in route.params]
    for combination in itertools.product(*(_candidates(n, real) for n in names)):
        try:
            return reverse(
                f"{NAMESPACE}:{route.name}", kwargs=dict(zip(names, combination, strict=True))
            )
        except NoReverseMatch:
            continue
    raise AssertionError(f"no value fits the path parameters of {route.name}: {names}")


def concrete_paths(real: RealObjects) -> list[tuple[str, str]]:
    """(route name, path) for every public page, path parameters filled with real objects."""
    return [(route.name, route_path(route, real)) for route in public_routes()]

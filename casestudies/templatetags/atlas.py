from django import template
from django.urls import Resolver404, resolve
from django.utils.encoding import escape_uri_path

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (None removes one).

    Paging and sorting links use it so that every filter survives the click.
    """
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def same_site_path(path: str) -> str:
    """``path`` as a link that can only lead to this site.

    The path is whatever the visitor asked for: ``/\\evil.example/`` or
    ``//evil.example/`` in an ``href`` would send a browser to another host (it reads
    a backslash as a slash, and two leading slashes as "another host"). Percent-encoded
    (a backslash becomes ``%5C``) and with exactly one leading slash, it names a path here.
    """
    return "/" + escape_uri_path(path).lstrip("/")


@register.filter
def not_stated(value):
    """Show "not stated" for an empty value."""
    return value if value not in (None, "", [], ()) else "not stated"


@register.simple_tag
def path_if_routed(path: str) -> str:
    """``path`` if the URLconf serves it, else "".

    Navigation uses it to link to pages that may not exist yet (``/compare/``,
    ``/cases.csv``) without ever linking to a 404.
    """
    try:
        resolve(path)
    except Resolver404:
        return ""
    return path

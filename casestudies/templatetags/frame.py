"""The frame every page shares (header, footer), rendered once per language and route.

The header and footer are ~40 template nodes (a dozen ``{% url %}``, two dozen
translations, the language list): ~0.7 ms of a case page's ~5 ms of CPU, the same on
every page but for three things the header reads of the request. ``{% frame %}``
renders such a template once per language, URL configuration, script prefix and
route name, the request's search words and full path left as markers, and puts this
request's (escaped, as ``{{ }}`` would) in their place.

What a frame template may read: ``SITE_NAME``, ``DATA_LICENCE`` (the site context
processor's constants), ``request.resolver_match.url_name``, ``request.GET.q`` and
``request.get_full_path``; and any tag that depends only on the language (``{% url
%}``, ``{% translate %}``, ``{% get_current_language %}``...). Anything else of the
request or the page's context reads as empty: ``tests/test_frame.py`` compares each
frame with a plain ``{% include %}``. With ``DEBUG`` (templates reloaded as they
are edited) it is a plain include.
"""

import threading

from django import template
from django.conf import settings
from django.template import Context
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_Q = "\x00atlas-frame-q\x00"
_PATH = "\x00atlas-frame-path\x00"
_KEPT = 256
KEEP = True  # False: a plain include (tests compare the two)
_kept: dict[tuple, str] = {}
_lock = threading.Lock()


class _Match:
    def __init__(self, url_name):
        self.url_name = url_name


class _FrameRequest:
    """The request as a frame sees it: its route's name; markers for the rest."""

    def __init__(self, url_name):
        self.resolver_match = _Match(url_name)
        self.GET = {"q": _Q}

    def get_full_path(self) -> str:
        return _PATH


@register.simple_tag(takes_context=True)
def frame(context, template_name: str):
    """``{% include template_name %}`` of a frame template, rendered once per language
    and route (see the module's docstring)."""
    request = context.get("request")
    engine = context.template.engine
    if request is None or settings.DEBUG or not KEEP:
        with context.push():
            return engine.get_template(template_name).render(context)
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None else None
    key = (
        template_name,
        get_language(),
        get_urlconf(),
        get_script_prefix(),
        url_name,
        context.get("SITE_NAME"),
    )
    html = _kept.get(key)
    if html is None:
        values = {
            "request": _FrameRequest(url_name),
            "SITE_NAME": context.get("SITE_NAME"),
            "DATA_LICENCE": context.get("DATA_LICENCE"),
        }
        html = engine.get_template(template_name).render(
            Context(values, autoescape=context.autoescape)
        )
        with _lock:
            if len(_kept) >= _KEPT:
                _kept.clear()
            _kept[key] = html
    if _Q in html:
        html = html.replace(_Q, escape(request.GET.get("q") or ""))
    if _PATH in html:
        html = html.replace(_PATH, escape(request.get_full_path()))
    return mark_safe(html)

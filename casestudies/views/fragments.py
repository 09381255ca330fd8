"""Whole rendered fragments of the comparison pages, cached under the data stamp.

The map's ~300 outlines and the outcomes view's charts and tables are large
templates: rendering them costs more than counting from the cache. On
PostgreSQL the rendered fragment is kept under the data stamp (which every
write to a table they read changes on commit: never stale) and the query
string and the page's language (a fragment holds translated text), so a repeat
costs the stamp's look-up and one cache read. SQLite, where nothing is cached,
renders every time.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db import connections
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .. import datastamp
from ..models import Case


def cached_fragment(request, name: str, template: str, build: Callable[[], dict]):
    """(the fragment's HTML, the context it was built from or None when cached).

    ``build`` returns the fragment's context and raises BadParameter for bad
    input, so a bad query is never cached.
    """
    # The stamp of the database the page's rows are read from (a replica for a
    # public page): a fragment counted on a replica that is behind is never filed
    # under the primary's newer stamp.
    stamp = datastamp.data_stamp(connections[Case.objects.all().db])
    key = None
    if stamp is not None:
        digest = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:32]
        key = f"fragment:{name}:{get_language()}:{stamp}:{digest}"
        html = cache.get(key)
        if html is not None:
            return mark_safe(html), None
    context = build()
    html = render_to_string(template, context, request=request)
    if key is not None:
        cache.set(key, html, datastamp.timeout())
    return mark_safe(html), context

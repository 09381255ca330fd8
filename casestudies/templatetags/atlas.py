from django import template
from django.utils.encoding import escape_uri_path
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

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


# Bytes per selected case of each download, rounded up from what was measured: the
# book's cases (cases.csv ~1.2 kB, JSON ~2.4x the CSV) and 100,000 synthetic ones
# (docs/perf/extracts.md: cases.csv 78 MB, outcomes.csv 25 MB, extract.zip 7 MB).
# An estimate stated as "about", never a promise: texts vary in length.
BYTES_PER_CASE = {
    "cases_csv": 1200,
    "outcomes_csv": 250,
    "cases_json": 2900,
    "outcomes_json": 600,
    "extract_zip": 150,
}
# The ZIP's data dictionary, citation and README, whatever the cases.
ZIP_OVERHEAD = 10_000


@register.simple_tag
def approx_size(case_count, kind: str) -> str:
    """The likely size of a download of ``case_count`` cases, as "about 30 kB"."""
    size = int(case_count or 0) * BYTES_PER_CASE[kind]
    if kind == "extract_zip":
        size += ZIP_OVERHEAD
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            value = size / scale
            shown = f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")
            return gettext("about %(size)s %(unit)s") % {"size": shown, "unit": unit}
    return gettext("under 1 kB")


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
    return value if value not in (None, "", [], ()) else gettext("not stated")


@register.simple_tag
def facet_values(panel, values) -> str:
    """The ``<li>`` of each of a facet panel's ``values`` (includes/facets.html).

    Written here rather than as a loop in the template: a list page shows ~180
    values, and the template's nodes for them were the costliest part of rendering it.
    Every text is escaped; the count is a number.
    """
    param = escape(panel.param)
    label_attrs = ' translate="no"' if panel.param == "chapter" else ""
    zero = ' class="is-zero"'
    words: dict[int, str] = {}  # "case"/"cases" per count, translated once a page
    items = []
    for v in values:
        word = words.get(v.count)
        if word is None:
            word = words[v.count] = escape(v.cases_word)
        input_id = escape(v.input_id)
        items.append(
            f'\n        <li{"" if v.count else zero}>\n          <input type="checkbox" '
            f'form="case-filters" name="{param}" value="{escape(v.key)}" id="{input_id}"'
            f'{" checked" if v.selected else ""}>\n          <label for="{input_id}"{label_attrs}>'
            f'{escape(v.label)} <span class="count">{int(v.count)}<span class="visually-hidden"> '
            f"{word}</span></span></label>\n        </li>"
        )
    return mark_safe("".join(items))

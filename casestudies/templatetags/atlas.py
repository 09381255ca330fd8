from django import template

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
def not_stated(value):
    """Show "not stated" for an empty value."""
    return value if value not in (None, "", [], ()) else "not stated"

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .licences import DATA_LICENCE


def site(request):
    # Lazy: only the pages that say which release the live data was frozen as query it.
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DATA_LICENCE": DATA_LICENCE,
        "live_release": SimpleLazyObject(lambda: _live_status(request)),
    }


def _live_status(request):
    from ..releases.status import live_status  # the models are ready by the first request

    return live_status(request)

from django.conf import settings

from .licences import DATA_LICENCE


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "DATA_LICENCE": DATA_LICENCE}

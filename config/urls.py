from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from casestudies.views import error_pages
from config.languages import set_language

admin.site.site_header = _("Co-production Case Atlas: curation")
admin.site.site_title = _("Case Atlas curation")
admin.site.index_title = _("Cases, sources and the codebook")

urlpatterns = [
    # Outside the language prefixes: it is where every language's switcher posts to.
    path("i18n/setlang/", set_language, name="set_language"),
    # English unprefixed, every other language under its code (docs/languages.md).
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", include("casestudies.urls")),
        prefix_default_language=False,
    ),
]

handler400 = error_pages.bad_request
handler403 = error_pages.permission_denied
handler404 = error_pages.page_not_found
handler500 = error_pages.server_error

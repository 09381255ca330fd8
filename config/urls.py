from django.contrib import admin
from django.urls import include, path

from casestudies.views import error_pages

admin.site.site_header = "Co-production Case Atlas: curation"
admin.site.site_title = "Case Atlas curation"
admin.site.index_title = "Cases, sources and the codebook"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("casestudies.urls")),
]

handler400 = error_pages.bad_request
handler403 = error_pages.permission_denied
handler404 = error_pages.page_not_found
handler500 = error_pages.server_error

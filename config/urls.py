from django.contrib import admin
from django.urls import include, path

from casestudies.views import errors

admin.site.site_header = "Co-production Case Atlas: curation"
admin.site.site_title = "Case Atlas curation"
admin.site.index_title = "Cases, sources and the codebook"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("casestudies.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

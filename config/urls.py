from django.contrib import admin
from django.urls import include, path

from casestudies.admin.importing import case_import
from casestudies.views import errors

admin.site.site_header = "Co-production Case Atlas: curation"
admin.site.site_title = "Case Atlas curation"
admin.site.index_title = "Cases, sources and the codebook"

urlpatterns = [
    # Before the admin's own URLs, which would read "import" as a case id.
    path("admin/casestudies/case/import/", case_import, name="admin_case_import"),
    path("admin/", admin.site.urls),
    path("", include("casestudies.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

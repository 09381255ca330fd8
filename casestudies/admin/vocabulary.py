from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import VOCABULARIES
from .safe_input import SafeInputAdminMixin


class VocabularyTermAdmin(SafeInputAdminMixin, SimpleHistoryAdmin):
    list_display = ["label", "slug", "order", "source"]
    list_editable = ["order"]
    search_fields = ["label", "slug", "definition"]
    prepopulated_fields = {"slug": ["label"]}
    ordering = ["order", "label"]


for _model in VOCABULARIES:
    admin.site.register(_model, VocabularyTermAdmin)

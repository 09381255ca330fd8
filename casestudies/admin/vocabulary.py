from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import VOCABULARIES


class VocabularyTermAdmin(SimpleHistoryAdmin):
    list_display = ["label", "slug", "order", "source"]
    list_editable = ["order"]
    search_fields = ["label", "slug", "definition"]
    prepopulated_fields = {"slug": ["label"]}
    ordering = ["order", "label"]


for _model in VOCABULARIES:
    admin.site.register(_model, VocabularyTermAdmin)

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import VOCABULARIES, SearchSynonym
from .derived_data import DerivedDataAdminMixin
from .safe_input import SafeInputAdminMixin


class VocabularyTermAdmin(DerivedDataAdminMixin, SafeInputAdminMixin, SimpleHistoryAdmin):
    list_display = ["label", "slug", "order", "source"]
    list_editable = ["order"]
    search_fields = ["label", "slug", "definition", "synonyms"]
    prepopulated_fields = {"slug": ["label"]}
    ordering = ["order", "label"]


for _model in VOCABULARIES:
    admin.site.register(_model, VocabularyTermAdmin)


@admin.register(SearchSynonym)
class SearchSynonymAdmin(SafeInputAdminMixin, admin.ModelAdmin):
    """Spelling variants the public search treats as one (curated data, see the model)."""

    list_display = ["variants", "note"]
    search_fields = ["variants", "note"]

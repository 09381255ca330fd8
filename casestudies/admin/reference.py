from django.contrib import admin
from django.db import models

from ..models import Chapter, Country, Source
from .derived_data import DerivedDataAdminMixin
from .safe_input import SafeInputAdminMixin


@admin.register(Source)
class SourceAdmin(DerivedDataAdminMixin, SafeInputAdminMixin, admin.ModelAdmin):
    list_display = ["title", "authors", "year", "kind", "doi"]
    list_filter = ["kind"]
    search_fields = ["title", "authors", "doi", "isbn"]
    prepopulated_fields = {"slug": ["title"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A DOI or publisher link typed without a scheme is https (Django 6's default too).
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Chapter)
class ChapterAdmin(DerivedDataAdminMixin, SafeInputAdminMixin, admin.ModelAdmin):
    list_display = ["number", "authors", "title", "part", "is_empirical", "source"]
    list_display_links = ["number", "authors"]
    list_filter = ["part", "is_empirical", "source"]
    search_fields = ["authors", "title", "summary"]
    list_select_related = ["source"]
    ordering = ["source", "number"]


@admin.register(Country)
class CountryAdmin(DerivedDataAdminMixin, SafeInputAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "world_region", "welfare_tradition"]
    list_filter = ["world_region", "welfare_tradition"]
    search_fields = ["name", "code"]
    list_select_related = ["world_region", "welfare_tradition"]
    autocomplete_fields = ["world_region", "welfare_tradition"]

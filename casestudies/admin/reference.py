from django.contrib import admin

from ..models import Chapter, Country, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "authors", "year", "kind", "doi"]
    list_filter = ["kind"]
    search_fields = ["title", "authors", "doi", "isbn"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Chapter)
class ChapterAdmin(admin.ModelAdmin):
    list_display = ["number", "authors", "title", "part", "is_empirical", "source"]
    list_display_links = ["number", "authors"]
    list_filter = ["part", "is_empirical", "source"]
    search_fields = ["authors", "title", "summary"]
    list_select_related = ["source"]
    ordering = ["source", "number"]


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "world_region", "welfare_tradition"]
    list_filter = ["world_region", "welfare_tradition"]
    search_fields = ["name", "code"]
    list_select_related = ["world_region", "welfare_tradition"]
    autocomplete_fields = ["world_region", "welfare_tradition"]

from django.urls import path, register_converter

from .plumbing.converters import ChapterNumberConverter, ReleaseFileConverter, VersionConverter
from .views import (
    cases,
    chapters,
    codebook,
    countries,
    coverage,
    extracts,
    health,
    home,
    maps,
    releases,
)
from .views import compare as compare_views
from .views import matrix as matrix_views
from .views import outcomes as outcomes_views

app_name = "casestudies"

register_converter(ChapterNumberConverter, "chapter")
register_converter(VersionConverter, "version")
register_converter(ReleaseFileConverter, "release_file")

urlpatterns = [
    path("", home.home, name="home"),
    path("cases/", cases.case_list, name="case_list"),
    # Extracts: before cases/<slug>/ so that cases/<slug>.csv is never read as a case slug.
    path("cases.csv", extracts.cases_csv, name="cases_csv"),
    path("cases.json", extracts.cases_json, name="cases_json"),
    path("outcomes.csv", extracts.outcomes_csv, name="outcomes_csv"),
    path("outcomes.json", extracts.outcomes_json, name="outcomes_json"),
    path("extract.zip", extracts.extract_zip, name="extract_zip"),
    path("cases/<slug:slug>.csv", extracts.case_csv, name="case_csv"),
    path("cases/<slug:slug>.json", extracts.case_json, name="case_json"),
    path("cases/<slug:slug>/", cases.case_detail, name="case_detail"),
    path("chapters/", chapters.chapter_list, name="chapter_list"),
    path("chapters/<chapter:number>/", chapters.chapter_detail, name="chapter_detail"),
    path("countries/", countries.country_list, name="country_list"),
    path("countries/<str:code>/", countries.country_detail, name="country_detail"),
    path("codebook/", codebook.codebook, name="codebook"),
    path("coverage/", coverage.coverage, name="coverage"),
    path("compare/", compare_views.compare, name="compare"),
    path("matrix/", matrix_views.matrix, name="matrix"),
    path("matrix.csv", matrix_views.matrix_csv, name="matrix_csv"),
    path("outcomes/", outcomes_views.outcomes, name="outcomes"),
    path("map/", maps.map_page, name="map"),
    path("releases/", releases.release_list, name="release_list"),
    path("releases/<version:version>/", releases.release_detail, name="release_detail"),
    path(
        "releases/<version:version>/datacite.json",
        releases.release_datacite,
        name="release_datacite",
    ),
    path(
        "releases/<version:version>/<release_file:name>",
        releases.release_file,
        name="release_file",
    ),
    path("health/", health.health, name="health"),
]

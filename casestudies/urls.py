from django.urls import path

from .views import cases, chapters, codebook, countries, health, home

app_name = "casestudies"

urlpatterns = [
    path("", home.home, name="home"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/<slug:slug>/", cases.case_detail, name="case_detail"),
    path("chapters/", chapters.chapter_list, name="chapter_list"),
    path("chapters/<int:number>/", chapters.chapter_detail, name="chapter_detail"),
    path("countries/", countries.country_list, name="country_list"),
    path("countries/<str:code>/", countries.country_detail, name="country_detail"),
    path("codebook/", codebook.codebook, name="codebook"),
    path("health/", health.health, name="health"),
]

"""Every public page in every shipped language, and the URL and language policy.

docs/languages.md: English unprefixed, other languages under /de/, /fr/, /es/;
the first visit follows Accept-Language; the switcher remembers the choice and
keeps the page's filters; data URLs, extracts and citations never change.
"""

import re

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from casestudies.models import VOCABULARIES, Case, Country, PolicyField
from config.languages import DATA_ROUTES, url_in_language

from .factories import CaseFactory, CountryFactory, PolicyFieldFactory
from .i18n_pages import chrome
from .public_urls import RealObjects, concrete_paths, public_routes

pytestmark = pytest.mark.django_db

SHIPPED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
ALL = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def atlas(book_data, request):
    request.getfixturevalue("release_1_0")
    case = Case.objects.published().filter(countries__isnull=False).order_by("slug").first()
    return RealObjects(case.slug, case.chapter.number, case.countries.order_by("code")[0].code)


def _pages(real) -> list[tuple[str, str]]:
    return [(name, path) for name, path in concrete_paths(real) if name not in DATA_ROUTES]


def _catalogue_texts(language: str) -> set[str]:
    """Every whole translation of this language's catalogue (no placeholders or markup)."""
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / language / "LC_MESSAGES/django.po"))
    return {
        " ".join(entry.msgstr.split())
        for entry in catalogue.translated_entries()
        if not entry.msgid_plural and "%" not in entry.msgid and "<" not in entry.msgid
    }


def _same_as_english(language: str) -> list[re.Pattern]:
    """Parts of messages that ``language`` words as English does ("Release 1.0",
    "+20 points" in French), between tags and with placeholders, as patterns."""
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / language / "LC_MESSAGES/django.po"))
    patterns = []
    for entry in catalogue.translated_entries():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [(entry.msgid, entry.msgstr_plural[0])]
            pairs.append((entry.msgid_plural, entry.msgstr_plural[1]))
        for source, translated in pairs:
            for part, same in zip(_parts(source), _parts(translated), strict=False):
                if part == same and "%(" in part:
                    escaped = re.escape(part)
                    patterns.append(re.compile(re.sub(r"%\\\(\w+\\\)s", ".+", escaped)))
    return patterns


def _parts(message: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"<[^>]+>", message) if p.strip()]


def _data_names(language: str) -> set[str]:
    """Country names and vocabulary labels as ``language`` writes them: some are the
    same as in English ("Japan" in German), which is a translation, not a gap."""
    with translation.override(language):
        names = {str(country) for country in Country.objects.all()}
        return names | {str(term) for model in VOCABULARIES for term in model.objects.all()}


def _is_number(text: str) -> bool:
    """ "12 %", "3–4", "n = 5": no word to translate."""
    return not any(word.isalpha() and len(word) > 1 for word in text.replace("n =", "").split())


def test_every_page_renders_in_every_language(client, atlas):
    """200, the language's <html lang>, its alternates, and no English in its chrome.

    Every text a reader sees outside content (case texts and fallback labels carry
    ``lang``, names and codes ``translate="no"``) differs from the English page's
    or is itself a translation the catalogue gives: a string built in Python and
    never marked would read the same in both and fail here.
    """
    pages = _pages(atlas)
    assert {"home", "case_list", "case_detail", "matrix", "map", "outcomes"} <= {
        name for name, _ in pages
    }
    assert len(pages) == len(public_routes()) - len(DATA_ROUTES - {"health"})
    english_pages = {
        path: set(chrome(client.get(path).content.decode()).texts) for _, path in pages
    }
    for language in SHIPPED:
        translations = _catalogue_texts(language) | _data_names(language)
        same = _same_as_english(language)
        for name, path in pages:
            localized = url_in_language(path, language)
            assert localized.startswith(f"/{language}/"), localized
            response = client.get(localized)
            assert response.status_code == 200, localized
            assert response["Content-Language"] == language
            page = chrome(response.content.decode())
            assert page.html_lang == language, localized
            assert set(page.alternates) == {*ALL, "x-default"}, localized
            assert page.alternates[language] == f"http://testserver{localized}"
            assert page.alternates["x-default"] == page.alternates["en"]
            assert len(translations.intersection(page.texts)) >= 10, localized
            english = sorted(
                text
                for text in set(page.texts) & english_pages[path]
                if text not in translations
                and not _is_number(text)
                and not any(pattern.fullmatch(text) for pattern in same)
            )
            assert english == [], f"{name} in {language}: English left: {english}"


def test_english_pages_are_unprefixed_and_name_their_alternates(client, atlas):
    response = client.get(reverse("casestudies:case_list") + "?country=SE")
    assert response.status_code == 200
    page = chrome(response.content.decode())
    assert page.html_lang == "en"
    assert page.alternates["de"] == "http://testserver/de/cases/?country=SE"
    assert page.alternates["en"] == "http://testserver/cases/?country=SE"


# --- Choosing a language ---------------------------------------------------------


def test_first_visit_follows_the_browsers_language(client):
    response = client.get("/cases/?country=DE", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert response.status_code == 302
    assert response["Location"] == "/de/cases/?country=DE"
    assert {"Accept-Language", "Cookie"} <= {part.strip() for part in response["Vary"].split(",")}


def test_no_preference_or_english_stays_on_the_unprefixed_page(client):
    for header in ({}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}, {"HTTP_ACCEPT_LANGUAGE": "pl"}):
        response = client.get("/cases/", **header)
        assert response.status_code == 200, header
        assert response["Content-Language"] == "en"


def test_the_switcher_keeps_the_page_and_its_filters_and_is_remembered(client):
    query = "country=DE&policy_field=childcare-preschool&sort=title"
    response = client.post("/i18n/setlang/", {"language": "fr", "next": f"/de/cases/?{query}"})
    assert response.status_code == 302
    assert response["Location"] == f"/fr/cases/?{query}"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    # Remembered: an unprefixed page now sends this visitor to French...
    assert client.get("/chapters/", HTTP_ACCEPT_LANGUAGE="de")["Location"] == "/fr/chapters/"
    # ...until English is chosen, which the browser's German then does not override.
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/fr/cases/?{query}"})
    assert response["Location"] == f"/cases/?{query}"
    assert client.get("/chapters/", HTTP_ACCEPT_LANGUAGE="de").status_code == 200


def test_the_switcher_is_a_plain_form_with_the_current_address(client):
    CaseFactory()
    html = client.get("/de/cases/?q=eltern&sort=title").content.decode()
    form = html[html.index('<form class="language-switcher"') :]
    form = form[: form.index("</form>")]
    assert 'action="/i18n/setlang/" method="post"' in form
    assert 'name="next" value="/de/cases/?q=eltern&amp;sort=title"' in form
    assert '<label for="language-select">Sprache</label>' in form
    assert '<option value="de" lang="de" selected>Deutsch</option>' in form
    assert '<option value="fr" lang="fr">Français</option>' in form
    assert '<button type="submit"' in form


def test_set_language_refuses_a_get_and_an_off_site_next(client):
    assert client.get("/i18n/setlang/").status_code == 405
    response = client.post("/i18n/setlang/", {"language": "de", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- What does not change with the language ---------------------------------------


def test_data_urls_carry_no_language_and_prefixed_ones_lead_there(client):
    CaseFactory()
    html = client.get("/de/cases/?sort=title").content.decode()
    assert 'href="/cases.csv?sort=title"' in html
    assert 'href="/extract.zip?sort=title"' in html
    assert "/de/cases.csv" not in html
    response = client.get("/de/cases.csv?country=SE")
    assert response.status_code == 301
    assert response["Location"] == "/cases.csv?country=SE"


def test_extracts_are_the_same_bytes_whatever_the_visitors_language(client):
    CaseFactory(countries=[CountryFactory(code="SE", name="Sweden")])
    plain = b"".join(client.get("/cases.csv").streaming_content)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = b"".join(client.get("/cases.csv", HTTP_ACCEPT_LANGUAGE="fr").streaming_content)
    assert plain == german
    assert b"Sweden" in german


def test_citations_do_not_change_with_the_language(client):
    case = CaseFactory(title="Parent co-operatives")
    english = client.get(case.get_absolute_url()).context
    german = client.get(url_in_language(case.get_absolute_url(), "de")).context
    assert german["record_apa"] == english["record_apa"]
    assert german["record_bibtex"] == english["record_bibtex"]
    assert f"http://testserver/cases/{case.slug}/" in german["record_bibtex"]


def test_query_parameters_are_the_same_in_every_language(client):
    CaseFactory(countries=[CountryFactory(code="SE", name="Sweden")])
    for language in ALL:
        html = client.get(url_in_language("/cases/", language)).content.decode()
        assert 'name="country" value="SE"' in html, language


# --- The data's labels ------------------------------------------------------------


def test_vocabulary_labels_in_the_visitors_language_with_english_marked_where_missing(client):
    translated = PolicyFieldFactory(label="Childcare", label_in_de="Kinderbetreuung")
    untranslated = PolicyFieldFactory(label="Beekeeping")
    CaseFactory(policy_fields=[translated, untranslated])
    html = client.get("/de/cases/").content.decode()
    assert "Kinderbetreuung" in html
    assert (
        '<span lang="en">Beekeeping</span> <span class="fallback-mark">(auf Englisch)</span>'
        in (html)
    )
    english = client.get("/cases/").content.decode()
    assert "Kinderbetreuung" not in english
    assert "fallback-mark" not in english


def test_the_book_vocabulary_is_translated_in_every_language(reference_data):
    missing = [
        (term.slug, language)
        for term in PolicyField.objects.all()
        for language in SHIPPED
        if not getattr(term, f"label_in_{language}")
        or not getattr(term, f"definition_in_{language}")
    ]
    assert PolicyField.objects.exists()
    assert missing == []


def test_country_names_come_from_the_iso_catalogues(client):
    CaseFactory(countries=[CountryFactory(code="DE", name="Germany")])
    assert "Deutschland" in client.get("/de/countries/").content.decode()
    assert "Allemagne" in client.get("/fr/countries/").content.decode()
    assert "Alemania" in client.get("/es/countries/").content.decode()
    assert "Germany" in client.get("/countries/").content.decode()


def test_case_texts_stay_in_english_and_say_so(client):
    case = CaseFactory(title="Parent co-operatives", summary="Parents run the centre.")
    html = client.get(url_in_language(case.get_absolute_url(), "fr")).content.decode()
    assert '<h1 id="case-title" lang="en">Parent co-operatives</h1>' in html
    assert '<p class="lead" lang="en">Parents run the centre.</p>' in html
    assert '<html lang="fr">' in html


def test_facet_and_matrix_counts_are_the_same_in_every_language(client, atlas):
    def facets(path):
        panels = client.get(path).context["panels"]
        return {p.param: {v.key: v.count for v in p.values + p.empty} for p in panels}

    def matrix(path):
        built = client.get(path).context["matrix"]
        cells = [[cell.count for cell in line.cells] for line in built.lines]
        return built.grand_total.count, cells

    query = f"?country={atlas.country_code}"
    for path, read in (
        ("/cases/" + query, facets),
        ("/matrix/?rows=country&cols=policy_field", matrix),
    ):
        english = read(path)
        assert english
        for language in SHIPPED:
            assert read(url_in_language(path, language)) == english, (path, language)


def test_the_search_is_no_filter_in_any_language(client):
    CaseFactory(title="Parent co-operatives", countries=[CountryFactory(code="SE", name="Sweden")])
    for language in ALL:
        response = client.get(url_in_language("/cases/?q=parent&country=SE", language))
        assert response.context["filter_count"] == 1, language


def test_curators_edit_translations_in_the_admin_and_pages_follow(client, superuser):
    term = PolicyFieldFactory(slug="childcare", label="Childcare", label_in_de="Kinderbetreuung")
    CaseFactory(policy_fields=[term])
    assert "Kinderbetreuung" in client.get("/de/cases/").content.decode()  # the facet
    client.force_login(superuser)
    form = client.get(f"/admin/casestudies/policyfield/{term.pk}/change/").content.decode()
    for language in SHIPPED:
        assert f'name="label_in_{language}"' in form
        assert f'name="definition_in_{language}"' in form
    term.label_in_de = "Kindertagesbetreuung"
    term.save()  # forgets the cached labels
    html = client.get("/de/cases/").content.decode()
    assert "Kindertagesbetreuung" in html
    assert "Kinderbetreuung" not in html

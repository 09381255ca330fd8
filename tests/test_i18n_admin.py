"""The admin in German: no English left in what the atlas adds to it.

Django translates its own admin; the atlas adds models' field names and help texts,
list columns, filters, actions, the history, import and release pages and their
messages. Each admin page is rendered in English and in German, and every text a
curator reads in both (outside data: titles, slugs, codes, names) must be a word
the German catalogues give; a string built in Python and never marked, or marked
but evaluated before the language is known, reads the same in both and fails here.
"""

import re
from pathlib import Path

import django
import polib
import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from casestudies.models import Case
from casestudies.writes.versions import one_version

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeFactory,
    PolicyFieldFactory,
    SourceFactory,
)
from .i18n_pages import chrome

pytestmark = pytest.mark.django_db


def _translations(language: str) -> set[str]:
    """Every whole translation the site's catalogue and Django's give in ``language``."""
    paths = [settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"]
    base = Path(django.__file__).parent
    paths += [
        base / "conf" / "locale" / language / "LC_MESSAGES" / "django.po",
        base / "contrib" / "admin" / "locale" / language / "LC_MESSAGES" / "django.po",
        base / "contrib" / "auth" / "locale" / language / "LC_MESSAGES" / "django.po",
    ]
    texts = set()
    for path in paths:
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)).translated_entries():
            strings = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
            for text in strings:
                texts.add(" ".join(text.split()))
                texts.add(" ".join(text.split()).capitalize())
    return texts


@pytest.fixture
def admin_pages(client, superuser):
    childcare = PolicyFieldFactory(
        slug="childcare", label="Childcare", label_in_de="Kinderbetreuung"
    )
    case = CaseFactory(
        slug="parent-coops",
        title="Parent co-operatives",
        countries=[CountryFactory(code="SE", name="Sweden")],
        policy_fields=[childcare],
    )
    OutcomeFactory(case=case)
    with one_version(case, user=superuser, reason="Edited in a test"):
        case.locality = "Malmö"
    client.force_login(superuser)
    history = Case.history.filter(id=case.pk).order_by("history_id")
    first = history.first().history_id
    base = "/admin/casestudies"
    return case, [
        "/admin/",
        f"{base}/case/",
        f"{base}/case/?coding=incomplete",
        f"{base}/case/{case.pk}/change/",
        f"{base}/case/add/",
        f"{base}/case/{case.pk}/history/",
        f"{base}/case/{case.pk}/history/{first}/",
        f"{base}/case/{case.pk}/history/compare/?from={first}&to=current",
        f"{base}/case/deleted/",
        f"{base}/case/import/",
        f"{base}/release/add/",
        f"{base}/policyfield/",
        f"{base}/policyfield/{childcare.pk}/change/",
        f"{base}/country/",
        f"{base}/country/SE/change/",
        f"{base}/source/",
        f"{base}/chapter/",
        f"{base}/chapter/{case.chapter.pk}/change/",
        f"{base}/searchsynonym/add/",
    ]


# Data, names and codes: the same in every language.
DATA = re.compile(
    r"^(Parent co-operatives|parent-coops|Malmö|Sweden|SE|admin|Childcare|childcare|Axes|"
    r"A case made for a test\.|The finding in one sentence\.|A term made for a test\.|"
    r"Test suite|Author|Part II|Ada Editor, Ben Editor|What the chapter studies\.|"
    # The same word in German: "Definition (Deutsch)" names a language in itself.
    r"Definition \((Deutsch|Français|Español)\)|"
    # Django's own, untranslated: the search icon's alt text, a boolean icon's.
    r"Search|True|False|"
    r"Edited in a test|Created in the admin|Case \d+|case-\d+|Ch\. \d+: .*|.*\(\d{4}\).*|"
    r"Co-production Case Atlas.*|DOI|ISBN|URL|ISO .*|[\w-]+-\d+|[\w ]+ \d+|"
    r"Policy field \d+|Outcome .*|[\d:/.,–\- ]+|—)$"
)


def _bare(text: str) -> str:
    """A label without its colon, a breadcrumb without its arrow."""
    return text.removeprefix("› ").removesuffix(":").strip()


def test_admin_pages_in_german_have_no_english_left(client, admin_pages):
    _case, paths = admin_pages
    german_words = _translations("de")
    problems = {}
    for path in paths:
        english = client.get(path)
        german = client.get("/de" + path)
        assert english.status_code == german.status_code == 200, path
        assert german["Content-Language"] == "de"
        english_texts = set(chrome(english.content.decode()).texts)
        same = sorted(
            text
            for text in set(chrome(german.content.decode()).texts) & english_texts
            if _bare(text) not in german_words and not DATA.match(_bare(text))
        )
        if same:
            problems[path] = same
    assert problems == {}, "\n".join(f"{path}: {texts}" for path, texts in problems.items())


def test_an_action_says_what_it_did_in_the_curators_language(client, superuser):
    case = CaseFactory(status="draft", countries=[CountryFactory(code="SE", name="Sweden")])
    client.force_login(superuser)
    response = client.post(
        "/de/admin/casestudies/case/",
        {
            "action": "publish",
            ACTION_CHECKBOX_NAME: [case.pk],
            f"_version_{case.pk}": case.version,
        },
        follow=True,
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [
        m.message for m in response.context["messages"]
    ]
    assert "1 Fall veröffentlicht." in " ".join(shown) or "1 Fall veröffentlicht." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == "published"
    # The reason the atlas records is data: English whatever the curator's language.
    assert Case.history.filter(id=case.pk).latest("history_id").history_change_reason == (
        "published from the list"
    )


def test_the_models_name_their_fields_in_german(client, superuser):
    client.force_login(superuser)
    html = client.get("/de/admin/casestudies/case/add/").content.decode()
    for label in ("Ort", "Anfangsjahr", "Untersuchte Einheiten", "Grund für diese Änderung"):
        assert label in html
    assert "Stadt oder Region; leer, wenn nicht angegeben." in html
    SourceFactory()
    assert "Quellen" in client.get("/de/admin/casestudies/source/").content.decode()

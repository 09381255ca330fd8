"""Where the reference and book fixtures live, in the order they must load."""

from django.conf import settings

FIXTURE_DIR = settings.BASE_DIR / "fixtures"

# Vocabularies first: countries point at world regions and welfare traditions.
REFERENCE_FIXTURES = [
    FIXTURE_DIR / "codebook.yaml",
    FIXTURE_DIR / "countries.yaml",
    FIXTURE_DIR / "sources.yaml",
    FIXTURE_DIR / "chapters.yaml",
    FIXTURE_DIR / "search_synonyms.yaml",
]
BOOK_FIXTURES = [FIXTURE_DIR / "book_cases.yaml"]

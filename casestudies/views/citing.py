"""How to cite the atlas record a page shows: the citation's parts from the request."""

from django.conf import settings
from django.utils import timezone

from config.languages import request_url_in_language

from ..reads.citations import AtlasRecord, atlas_apa, atlas_bibtex
from ..releases.status import live_status


def record_citation(request, *, title: str, description: str, key: str, year=None) -> dict:
    """Context for includes/cite_record.html: APA and BibTeX of the page at this URL."""
    today = timezone.localdate()
    record = AtlasRecord(
        title=title,
        description=description,
        # The English (unprefixed) address: a citation is the same in every language.
        url=request.build_absolute_uri(request_url_in_language(request, settings.LANGUAGE_CODE)),
        accessed=today,
        year=year or today.year,
        version=_last_version(request),
        key=key,
    )
    return {"record_apa": atlas_apa(record), "record_bibtex": atlas_bibtex(record)}


def _last_version(request) -> str:
    """The version the live data was last frozen as; "" before the first release."""
    release = live_status(request).release
    return release.version if release else ""

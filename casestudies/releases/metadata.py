"""What describes a release: its README, its citation and DataCite-style metadata.

Everything here is a function of the release row (and the URL it is served at),
so the same release always gives the same text.
"""

from django.conf import settings

from ..models import Release
from ..plumbing.licences import DATA_LICENCE, SUMMARIES_NOTE, readme_lines
from ..reads.citations import release_apa, release_bibtex

BOOK_DOI = "10.4324/9780203152294"
DATA_FILES = ("cases.csv", "outcomes.csv", "cases.json", "outcomes.json")
FILE_NOTES = {
    "cases.csv": "one row per case (wide: one column per outcome dimension)",
    "outcomes.csv": "one row per case and outcome (long / tidy)",
    "cases.json": "the cases as JSON; many-valued fields are arrays, null is 'not stated'",
    "outcomes.json": "the outcomes as JSON",
    "datapackage.json": "Frictionless Data Package: columns, codes, licence, SHA-256 of each file",
    "README.txt": "this file",
}


def changelog_lines(log: dict, previous: str | None) -> list[str]:
    if previous is None:
        return [f"First release: {len(log['added'])} cases."]
    lines = [
        f"Since release {previous}: {len(log['added'])} added, "
        f"{len(log['withdrawn'])} withdrawn, {len(log['changed'])} changed."
    ]
    lines += [f"  + {e['slug']}: {e['title']}" for e in log["added"]]
    lines += [f"  - {e['slug']}: {e['title']}" for e in log["withdrawn"]]
    lines += [f"  ~ {e['slug']}: {', '.join(e['fields'])}" for e in log["changed"]]
    return lines


def readme(release: Release, *, url: str, data_files: list[dict], previous: str | None) -> str:
    """README.txt of a release. ``data_files`` are the entries already stored (with SHA-256)."""
    created = release.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"{settings.SITE_NAME}, release {release.version}",
        "=" * 60,
        "",
        f"Version:   {release.version} (never changes: a correction is a new release)",
        f"Created:   {created} (UTC)",
        f"Page:      {url}",
        f"Rows:      {release.case_count} published cases, {release.outcome_count} outcomes",
        "",
    ]
    if release.notes.strip():
        lines += ["Notes", "-----", *release.notes.strip().splitlines(), ""]
    lines += ["Files", "-----"]
    for name, note in FILE_NOTES.items():
        lines.append(f"{name:<17} {note}")
    lines += ["", "SHA-256", "-------"]
    lines += [f"{entry['sha256']}  {entry['name']}" for entry in data_files]
    lines += [
        "(datapackage.json lists them too; README.txt and datapackage.json are listed on",
        "the release's page.)",
        "",
        "Reading the files",
        "-----------------",
        "As the atlas's extracts: UTF-8, RFC 4180 CSV; an empty cell means 'not stated'.",
        "See datapackage.json for every column, its type and its allowed codes.",
        "",
        *readme_lines(),
        "How to cite this release",
        "------------------------",
        "APA 7:",
        f"  {release_apa(release, url=url).text}",
        "",
        "BibTeX:",
        release_bibtex(release, url=url),
        "",
        "And the chapter each case comes from (its page, column 'url', gives it), from:",
        "  Pestoff, V., Brandsen, T., & Verschuere, B. (Eds.). (2012). New public",
        "  governance, the third sector and co-production. Routledge.",
        f"  https://doi.org/{BOOK_DOI}",
        "",
        "Changes",
        "-------",
        *changelog_lines(release.changelog, previous),
        "",
    ]
    return "\n".join(lines)


def datacite(release: Release, *, url: str, previous_url: str | None) -> dict:
    """DataCite Metadata Schema 4 attributes, in the shape of the DataCite REST API's
    ``{"data": {"type": "dois", "attributes": …}}``: a repository adds its prefix
    (and ``event: publish``) to mint a DOI for the release."""
    related = [
        {
            "relatedIdentifier": BOOK_DOI,
            "relatedIdentifierType": "DOI",
            "relationType": "IsDerivedFrom",
        }
    ]
    if previous_url:
        related.append(
            {
                "relatedIdentifier": previous_url,
                "relatedIdentifierType": "URL",
                "relationType": "IsNewVersionOf",
            }
        )
    description = release.notes.strip() or (
        f"Release {release.version} of the {settings.SITE_NAME}: "
        f"{release.case_count} published co-production cases."
    )
    return {
        "data": {
            "type": "dois",
            "attributes": {
                "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Coded case data"},
                "creators": [{"name": settings.SITE_NAME, "nameType": "Organizational"}],
                "titles": [{"title": settings.SITE_NAME}],
                "publisher": settings.SITE_NAME,
                "publicationYear": release.created.year,
                "version": release.version,
                "dates": [{"date": release.created.date().isoformat(), "dateType": "Issued"}],
                "url": url,
                "language": "en",
                "subjects": [
                    {"subject": "co-production"},
                    {"subject": "third sector"},
                    {"subject": "public services"},
                    {"subject": "new public governance"},
                ],
                "descriptions": [
                    {"description": description, "descriptionType": "Abstract"},
                    {"description": SUMMARIES_NOTE, "descriptionType": "Other"},
                ],
                "rightsList": [
                    {
                        "rights": DATA_LICENCE["title"],
                        "rightsUri": DATA_LICENCE["path"],
                        "rightsIdentifier": DATA_LICENCE["name"].lower(),
                        "rightsIdentifierScheme": "SPDX",
                    }
                ],
                "relatedIdentifiers": related,
                "formats": ["text/csv", "application/json"],
                "sizes": [f"{release.case_count} cases", f"{release.outcome_count} outcomes"],
                "schemaVersion": "http://datacite.org/schema/kernel-4",
            },
        }
    }

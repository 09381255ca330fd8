"""Numbered releases: the list, one release, its stored files and its DataCite metadata.

A release's files are sent exactly as they were stored when it was made (never
re-rendered), so a download today has the bytes and SHA-256 its page states.
"""

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render

from ..models import Release
from ..reads.citations import release_apa, release_bibtex
from ..releases import release_storage
from ..releases.build import release_url
from ..releases.changelog import change_count
from ..releases.metadata import datacite

# Stored once, never changed: a cache may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def _base(request) -> str:
    return request.build_absolute_uri("/")


def _with_citations(request, release: Release) -> Release:
    url = release_url(_base(request), release.version)
    release.url = url
    release.apa = release_apa(release, url=url)
    release.bibtex = release_bibtex(release, url=url)
    release.change_total = change_count(release.changelog)
    return release


def release_list(request):
    """Every release, newest first: one query."""
    releases = [_with_citations(request, r) for r in Release.objects.latest_first()]
    return render(request, "casestudies/release_list.html", {"releases": releases})


def _previous(release: Release) -> Release | None:
    # By id, not time: two releases can share a second (times are kept to the second),
    # and versions only ever increase with the id.
    return Release.objects.filter(pk__lt=release.pk).order_by("-pk").only("version").first()


def release_detail(request, version):
    release = _with_citations(request, get_object_or_404(Release, version=version))
    context = {"release": release, "previous": _previous(release)}
    return render(request, "casestudies/release_detail.html", context)


def release_file(request, version, name):
    release = get_object_or_404(Release, version=version)
    try:
        entry = release.file(name)
    except KeyError as exc:
        raise Http404(f"Release {version} has no file {name}.") from exc
    storage = release_storage()
    try:
        handle = storage.open(release.storage_name(name), "rb")
    except FileNotFoundError as exc:  # the storage lost it: say so, never re-render
        raise Http404(f"The stored file {name} of release {version} is missing.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"coproduction-atlas-{version}-{name}",
        content_type=f"{entry['mediatype']}; charset=utf-8",
    )
    response["Content-Length"] = str(entry["bytes"])
    response["ETag"] = f'"{entry["sha256"]}"'
    response["Cache-Control"] = IMMUTABLE
    return response


def release_datacite(request, version):
    release = get_object_or_404(Release, version=version)
    previous = _previous(release)
    metadata = datacite(
        release,
        url=release_url(_base(request), release.version),
        previous_url=release_url(_base(request), previous.version) if previous else None,
    )
    response = JsonResponse(metadata, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = (
        f'inline; filename="coproduction-atlas-{version}-datacite.json"'
    )
    return response

"""Freezing the published data as a numbered release (``manage.py release``, the admin).

The files are written first, each through a temporary file that is hashed as it
is written, then stored under ``<version>/`` in the "releases" storage; the row
is saved last, in the same transaction as the reads. If anything fails, the
stored files are removed and no row exists: a release is all there or not at all.
Files under a version that has no row (left by a crash) are not a release and
are replaced.
"""

import hashlib
import json
import tempfile
from collections.abc import Iterable

from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Max
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from ..extracts.bundle import Counted
from ..extracts.cases_csv import CasesCsv
from ..extracts.datapackage import datapackage
from ..extracts.queries import cases_for_extract, outcome_pairs, primed
from ..extracts.writers import stream_csv, stream_json
from ..models import Case, Release, version_key
from ..models.release import VERSION_RE
from ..tabular.columns import OUTCOME_COLUMNS, ExportContext, case_columns, outcome_dimensions
from .changelog import changelog, records_by_slug
from .metadata import readme

MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "txt": "text/plain",
}


class ReleaseError(ValueError):
    """A release that cannot be made (bad or taken version); nothing was written."""


def release_storage():
    return storages["releases"]


def release_url(base_url: str, version: str) -> str:
    return base_url.rstrip("/") + reverse("casestudies:release_detail", args=[version])


def check_version(version: str) -> None:
    if not VERSION_RE.match(version):
        raise ReleaseError(f"'{version}' is not a version: use 1 to 3 numbers, e.g. 1.0 or 2.1.3.")
    if Release.objects.filter(version=version).exists():
        raise ReleaseError(f"Release {version} exists; releases are never replaced.")
    latest = Release.objects.latest_first().first()
    if latest and version_key(version) <= version_key(latest.version):
        raise ReleaseError(
            f"Version {version} is not higher than the latest release, {latest.version}."
        )


def create_release(*, version: str, notes: str = "", user=None, base_url: str) -> Release:
    """Freeze the published cases as release ``version``. Raises ReleaseError."""
    version = version.strip()
    check_version(version)
    storage = release_storage()
    created = timezone.now().replace(microsecond=0)
    stored: list[str] = []
    try:
        with transaction.atomic():
            release = _build(version, notes, user, base_url, created, storage, stored)
    except Exception:
        for name in stored:
            storage.delete(name)
        raise
    return release


def _build(version, notes, user, base_url, created, storage, stored) -> Release:
    # Case history up to here is in this release; later entries are "changes since".
    mark = Case.history.aggregate(mark=Max("history_id"))["mark"] or 0
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url=base_url)
    columns = case_columns(ctx.dimensions)
    everything = QueryDict()
    meta = {
        "release": version,
        "generated_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "note": "Many-valued fields are JSON arrays; null means 'not stated'.",
    }
    for name in storage.listdir(version)[1] if storage.exists(version) else []:
        storage.delete(f"{version}/{name}")  # left by a crash: no row, so not a release

    def put(name: str, pieces: Iterable[bytes]) -> dict:
        entry = _store(storage, f"{version}/{name}", pieces)
        stored.append(f"{version}/{name}")
        return {"name": name, **entry, "mediatype": MEDIA_TYPES[name.rsplit(".", 1)[1]]}

    cases = CasesCsv(cases_for_extract(everything), columns, ctx)
    files = [put("cases.csv", cases)]
    outcomes = Counted(outcome_pairs(primed(cases_for_extract(everything), full=False)))
    files.append(put("outcomes.csv", stream_csv(outcomes, OUTCOME_COLUMNS, ctx)))
    case_rows = primed(cases_for_extract(everything))
    files.append(put("cases.json", stream_json(case_rows, columns, ctx, key="cases", meta=meta)))
    outcome_rows = outcome_pairs(primed(cases_for_extract(everything), full=False))
    files.append(
        put(
            "outcomes.json",
            stream_json(outcome_rows, OUTCOME_COLUMNS, ctx, key="outcomes", meta=meta),
        )
    )

    previous = Release.objects.latest_first().first()
    current = records_by_slug(_read(storage, f"{version}/cases.json"))
    before = (
        records_by_slug(_read(storage, previous.storage_name("cases.json"))) if previous else None
    )
    release = Release(
        version=version,
        notes=notes.strip(),
        created=created,
        created_by=user,
        case_count=cases.count,
        outcome_count=outcomes.count,
        changelog=changelog(before, current),
        history_mark=mark,
        files=[],
    )
    url = release_url(base_url, version)
    package = _package(columns, release, files, url)
    files.append(put("datapackage.json", [package]))
    text = readme(
        release, url=url, data_files=files, previous=previous.version if previous else None
    )
    files.append(put("README.txt", [text.encode("utf-8")]))
    release.files = files
    release.save()
    return release


def _package(columns, release: Release, files: list[dict], url: str) -> bytes:
    package = datapackage(columns, query="", created=release.created, homepage=url)
    package.update(
        name="coproduction-case-atlas",
        title=f"{package['title'].rsplit(':', 1)[0]}, release {release.version}",
        description=(
            f"Release {release.version}: every published case ({release.case_count}) and its "
            f"outcomes ({release.outcome_count}), frozen on {release.created:%Y-%m-%d}. "
            + package["description"].split(". ", 1)[1]
        ),
        version=release.version,
        id=url,
        homepage=url,
    )
    package.pop("query", None)
    by_name = {f["name"]: f for f in files}
    for resource in package["resources"]:
        entry = by_name[resource["path"]]
        resource["bytes"] = entry["bytes"]
        resource["hash"] = f"sha256:{entry['sha256']}"
    # The JSON files are not tabular resources; their sizes and hashes are listed here.
    package["files"] = [{k: f[k] for k in ("name", "bytes", "sha256", "mediatype")} for f in files]
    return json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def _store(storage, name: str, pieces: Iterable[bytes]) -> dict:
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as handle:
        for piece in pieces:
            digest.update(piece)
            size += len(piece)
            handle.write(piece)
        handle.seek(0)
        saved = storage.save(name, File(handle, name=name))
    if saved != name:  # the storage renamed it: the name was taken after all
        storage.delete(saved)
        raise ReleaseError(f"{name} exists in the release storage; not overwritten.")
    return {"bytes": size, "sha256": digest.hexdigest()}


def _read(storage, name: str) -> bytes:
    with storage.open(name, "rb") as handle:
        return handle.read()

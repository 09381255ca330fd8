"""Numbered releases: frozen files that never change, a changelog, citations, metadata."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from frictionless import validate
from pybtex.database import parse_string

from casestudies.models import CaseStatus, Release, ReleaseImmutable
from casestudies.releases import create_release, release_storage
from casestudies.writes.versions import one_version

from .factories import CaseFactory, CountryFactory, OutcomeFactory

pytestmark = pytest.mark.django_db

FILES = [
    "cases.csv",
    "outcomes.csv",
    "cases.json",
    "outcomes.json",
    "datapackage.json",
    "README.txt",
]


@pytest.fixture(autouse=True)
def release_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "releases", "base_url": None},
        },
    }
    return tmp_path / "releases"


@pytest.fixture
def atlas():
    se = CountryFactory(code="SE", name="Sweden")
    first = CaseFactory(title="Parent co-ops", slug="parent-coops", countries=[se])
    OutcomeFactory(case=first)
    CaseFactory(title="Municipal care", slug="municipal", countries=[se])
    CaseFactory(title="A draft", slug="a-draft", status=CaseStatus.DRAFT)
    return first


def download(client, version, name) -> bytes:
    response = client.get(f"/releases/{version}/{name}")
    assert response.status_code == 200, name
    return b"".join(response.streaming_content)


def test_the_command_freezes_every_published_case(atlas, release_dir):
    call_command("release", "1.0", notes="First coding of the book.", verbosity=0)
    release = Release.objects.get()
    assert (release.case_count, release.outcome_count) == (2, 1)
    assert [f["name"] for f in release.files] == FILES
    assert sorted(p.name for p in (release_dir / "1.0").iterdir()) == sorted(FILES)
    cases = json.loads((release_dir / "1.0" / "cases.json").read_bytes())
    assert {c["slug"] for c in cases["cases"]} == {"parent-coops", "municipal"}  # no draft
    assert release.changelog["added"] == [
        {"slug": "municipal", "title": "Municipal care"},
        {"slug": "parent-coops", "title": "Parent co-ops"},
    ]


def test_each_file_s_size_and_sha256_are_recorded_and_the_package_validates(atlas, release_dir):
    release = create_release(version="1.0", base_url="https://atlas.example/")
    for entry in release.files:
        data = (release_dir / "1.0" / entry["name"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    package = json.loads((release_dir / "1.0" / "datapackage.json").read_text())
    assert package["version"] == "1.0"
    assert package["created"] == release.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["homepage"] == "https://atlas.example/releases/1.0/"
    hashes = {r["path"]: r["hash"] for r in package["resources"]}
    assert hashes["cases.csv"] == f"sha256:{release.file('cases.csv')['sha256']}"
    assert {f["name"] for f in package["files"]} >= {"cases.json", "outcomes.json"}
    # frictionless checks every row against the schema, and each file's bytes and hash.
    report = validate(str(release_dir / "1.0" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_readme_says_how_to_cite_the_release(atlas, release_dir):
    create_release(version="1.0", base_url="https://atlas.example/")
    readme = (release_dir / "1.0" / "README.txt").read_text()
    assert (
        "Co-production Case Atlas. (20" in readme
        and "Co-production Case Atlas (Version 1.0) [Data set]. https://atlas.example/releases/1.0/"
        in readme
    )
    assert "@misc{coproduction-atlas-1.0," in readme
    assert "Creative Commons Attribution 4.0 International" in readme
    sha = hashlib.sha256((release_dir / "1.0" / "cases.csv").read_bytes()).hexdigest()
    assert f"{sha}  cases.csv" in readme
    assert "First release: 2 cases." in readme


def test_downloads_stay_byte_identical_after_the_data_changes(client, atlas):
    create_release(version="1.0", base_url="http://testserver/")
    before = {name: download(client, "1.0", name) for name in FILES}
    live_before = b"".join(client.get("/cases.csv").streaming_content)

    with one_version(atlas, user=None, reason="A correction"):
        atlas.title = "Parent co-operatives"
    CaseFactory(title="New case", slug="new-case")

    after = {name: download(client, "1.0", name) for name in FILES}
    assert after == before
    assert b"".join(client.get("/cases.csv").streaming_content) != live_before
    release = Release.objects.get()
    response = client.get("/releases/1.0/cases.csv")
    assert response["ETag"] == f'"{release.file("cases.csv")["sha256"]}"'
    assert "immutable" in response["Cache-Control"]
    assert 'filename="coproduction-atlas-1.0-cases.csv"' in response["Content-Disposition"]


def test_the_changelog_lists_what_was_added_withdrawn_and_changed(atlas):
    create_release(version="1.0", base_url="http://testserver/")
    with one_version(atlas, user=None, reason="A correction"):
        atlas.title = "Parent co-operatives"
        atlas.locality = "Stockholm"
    municipal = atlas.__class__.objects.get(slug="municipal")
    with one_version(municipal, user=None, reason="Withdrawn"):
        municipal.status = CaseStatus.DRAFT
    CaseFactory(title="New case", slug="new-case")
    second = create_release(version="1.1", base_url="http://testserver/")
    assert second.changelog["added"] == [{"slug": "new-case", "title": "New case"}]
    assert second.changelog["withdrawn"] == [{"slug": "municipal", "title": "Municipal care"}]
    [changed] = second.changelog["changed"]
    assert changed["slug"] == "parent-coops"
    assert set(changed["fields"]) >= {"title", "locality"}
    assert "status" not in changed["fields"]
    assert "summary" not in changed["fields"]
    assert "last_updated" not in changed["fields"]


def test_a_save_that_changes_no_value_is_not_a_change(atlas):
    create_release(version="1.0", base_url="http://testserver/")
    with one_version(atlas, user=None, reason="Saved without a change"):
        atlas.title = atlas.title
    assert create_release(version="1.1", base_url="http://testserver/").changelog == {
        "added": [],
        "withdrawn": [],
        "changed": [],
    }


def test_a_release_is_never_edited_or_deleted(atlas):
    release = create_release(version="1.0", base_url="http://testserver/")
    release.notes = "Rewritten"
    with pytest.raises(ReleaseImmutable):
        release.save()
    with pytest.raises(ReleaseImmutable):
        release.delete()
    assert Release.objects.get().notes == ""


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("v1", "is not a version"),
        ("1.0.0.0", "is not a version"),
        ("1.0", "exists"),
        ("0.9", "not higher"),
    ],
)
def test_bad_or_taken_versions_are_refused_and_write_nothing(atlas, release_dir, version, message):
    call_command("release", "1.0", verbosity=0)
    with pytest.raises(CommandError, match=message):
        call_command("release", version, verbosity=0)
    assert Release.objects.count() == 1
    assert sorted(p.name for p in release_dir.iterdir()) == ["1.0"]


def test_a_failure_half_way_leaves_no_release_and_no_files(atlas, release_dir, monkeypatch):
    def broken_readme(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("casestudies.releases.build.readme", broken_readme)
    with pytest.raises(RuntimeError):
        create_release(version="1.0", base_url="http://testserver/")
    assert not Release.objects.exists()
    assert not release_storage().exists("1.0/cases.csv")
    monkeypatch.undo()
    create_release(version="1.0", base_url="http://testserver/")  # the version is still free


def test_release_pages_list_newest_first_with_downloads_and_citations(client, atlas):
    create_release(version="1.0", base_url="http://testserver/")
    CaseFactory(title="New case", slug="new-case")
    create_release(version="1.1", notes="Adds a case.", base_url="http://testserver/")
    html = client.get("/releases/").content.decode()
    assert html.index("Release 1.1") < html.index("Release 1.0")
    assert 'href="/releases/1.1/cases.csv"' in html
    assert "(Version 1.1) [Data set]. http://testserver/releases/1.1/" in html
    assert "<i>Co-production Case Atlas</i>" in html
    assert "1 case added, 0 withdrawn, 0 changed" in html

    detail = client.get("/releases/1.1/").content.decode()
    assert "Adds a case." in detail
    assert '<code>new-case</code> <span lang="en">New case</span>' in detail
    bibtex = detail.split('data-copy-label="BibTeX entry of release 1.1">')[1].split("</pre>")[0]
    entry = parse_string(bibtex.replace("&amp;", "&"), "bibtex").entries["coproduction-atlas-1.1"]
    assert entry.fields["version"] == "1.1"
    assert entry.fields["url"] == "http://testserver/releases/1.1/"


def test_datacite_metadata_can_mint_a_doi(client, atlas):
    create_release(version="1.0", base_url="http://testserver/")
    create_release(version="2.0", base_url="http://testserver/")
    attributes = client.get("/releases/2.0/datacite.json").json()["data"]["attributes"]
    assert attributes["types"]["resourceTypeGeneral"] == "Dataset"
    assert attributes["version"] == "2.0"
    assert attributes["creators"] == [
        {"name": "Co-production Case Atlas", "nameType": "Organizational"}
    ]
    assert attributes["titles"] and attributes["publisher"] and attributes["publicationYear"]
    assert attributes["url"] == "http://testserver/releases/2.0/"
    assert attributes["rightsList"][0]["rightsIdentifier"] == "cc-by-4.0"
    relations = {
        r["relationType"]: r["relatedIdentifier"] for r in attributes["relatedIdentifiers"]
    }
    assert relations == {
        "IsDerivedFrom": "10.4324/9780203152294",
        "IsNewVersionOf": "http://testserver/releases/1.0/",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/releases/9.9/",
        "/releases/9.9/cases.csv",
        "/releases/1.0/secret.txt",
        "/releases/1.0/..%2F",
    ],
)
def test_unknown_releases_and_files_are_404(client, atlas, path):
    create_release(version="1.0", base_url="http://testserver/")
    assert client.get(path).status_code == 404


def test_a_lost_file_is_a_404_not_a_rerender(client, atlas, release_dir):
    create_release(version="1.0", base_url="http://testserver/")
    (release_dir / "1.0" / "cases.csv").unlink()
    assert client.get("/releases/1.0/cases.csv").status_code == 404


def test_live_pages_say_which_release_they_were_frozen_as(client, atlas):
    html = client.get("/cases/").content.decode()
    assert "Live data: no numbered release yet." in html
    create_release(version="1.0", base_url="http://testserver/")
    with one_version(atlas, user=None, reason="A correction"):
        atlas.title = "Parent co-operatives"
    html = client.get("/cases/").content.decode()
    assert 'last frozen as <a href="/releases/1.0/">release 1.0</a>' in html
    assert "1 case edit recorded since" in html
    assert "last released as version 1.0" in html  # in the list's citation
    assert 'href="/releases/1.0/">release 1.0</a>, the latest numbered release' in html
    case_page = client.get("/cases/parent-coops/").content.decode()
    assert "1 case edit recorded since" in case_page
    home = client.get("/").content.decode()
    assert 'href="/releases/1.0/">release 1.0</a>' in home


def test_live_status_costs_one_query_however_many_releases(
    client, atlas, django_assert_num_queries
):
    from casestudies.releases.status import live_status

    for version in ("1.0", "1.1", "1.2"):
        create_release(version=version, base_url="http://testserver/")
    with django_assert_num_queries(1):
        status = live_status()
    assert status.release.version == "1.2"
    assert status.changes_since == 0


def test_a_curator_freezes_a_release_in_the_admin_and_cannot_edit_it(client, atlas, curator):
    client.force_login(curator)
    response = client.post(
        "/admin/casestudies/release/add/", {"version": "1.0", "notes": "From the admin."}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    release = Release.objects.get()
    assert release.created_by == curator
    assert release.notes == "From the admin."
    refused = client.post("/admin/casestudies/release/add/", {"version": "0.5", "notes": ""})
    assert refused.status_code == 200
    assert "not higher than the latest release" in refused.content.decode()
    change = f"/admin/casestudies/release/{release.pk}/change/"
    assert client.post(change, {"version": "9.9", "notes": "x"}).status_code == 403
    delete = f"/admin/casestudies/release/{release.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Release.objects.get().version == "1.0"

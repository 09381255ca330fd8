"""What changed between two releases: cases added, withdrawn and changed, with the fields.

Computed from the releases' own stored ``cases.json`` (the published data as each
release froze it), so it describes exactly what a reader of the two releases
sees differ: drafts, history rows that changed nothing public, and edits that
were undone before the release leave no trace.
"""

import json
from collections.abc import Iterable

# Columns that follow from others rather than being coded (the page URL follows from
# the slug) or that record the editing rather than the data (the time of the last
# save, which a save that changed nothing moves too): left out of "changed".
_IGNORED = frozenset({"url", "last_updated"})


def records_by_slug(cases_json: bytes) -> dict[str, dict]:
    return {record["slug"]: record for record in json.loads(cases_json)["cases"]}


def changelog(previous: dict[str, dict] | None, current: dict[str, dict]) -> dict:
    """``{"added": [...], "withdrawn": [...], "changed": [...]}``, each sorted by slug.

    Added and withdrawn entries are ``{"slug", "title"}``; changed ones add
    ``"fields"``, the names of the columns whose values differ.
    """
    previous = previous or {}
    added = [_entry(current[s]) for s in sorted(current.keys() - previous.keys())]
    withdrawn = [_entry(previous[s]) for s in sorted(previous.keys() - current.keys())]
    changed = []
    for slug in sorted(current.keys() & previous.keys()):
        fields = _changed_fields(previous[slug], current[slug])
        if fields:
            changed.append({**_entry(current[slug]), "fields": fields})
    return {"added": added, "withdrawn": withdrawn, "changed": changed}


def _entry(record: dict) -> dict:
    return {"slug": record["slug"], "title": record.get("title", "")}


def _changed_fields(old: dict, new: dict) -> list[str]:
    names: Iterable[str] = list(new) + [k for k in old if k not in new]
    return [n for n in names if n not in _IGNORED and old.get(n) != new.get(n)]


def change_count(log: dict) -> int:
    return len(log["added"]) + len(log["withdrawn"]) + len(log["changed"])

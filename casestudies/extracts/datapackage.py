"""A Frictionless Data Package (``datapackage.json``) describing the two CSVs.

Every column gets its name, type, description and, where the codebook defines
them, its allowed values: an ``enum`` for one-valued columns and an anchored
``pattern`` for '|'-joined lists, so ``frictionless validate`` checks each code.
"""

import re
from datetime import datetime

from django.conf import settings

from ..models import Country, Source
from ..plumbing.licences import DATA_LICENCE, SUMMARIES_NOTE
from ..tabular.columns import CODES, OUTCOME_COLUMNS, SEPARATOR, TEXTS, Column

PROFILE = "tabular-data-package"


def allowed_values(column: Column, cache: dict) -> list[str] | None:
    """The codes a column may hold, from the codebook (one query per table, cached)."""
    if column.enum is not None:
        return list(column.enum)
    model = column.vocabulary
    if model is None:
        return None
    if model not in cache:
        if model is Country:
            cache[model] = list(Country.objects.order_by("code").values_list("code", flat=True))
        elif model is Source:
            cache[model] = list(Source.objects.order_by("slug").values_list("slug", flat=True))
        else:
            cache[model] = list(model.objects.ordered().values_list("slug", flat=True))
    return cache[model]


def field_descriptor(column: Column, cache: dict) -> dict:
    field = {"name": column.name, "type": column.type, "description": column.description}
    if column.kind in (CODES, TEXTS):
        field["separator"] = SEPARATOR
    if column.kind == TEXTS:
        field["escape"] = "\\"
    allowed = allowed_values(column, cache)
    if allowed is not None:
        if column.kind == CODES:
            alternatives = "|".join(re.escape(v) for v in allowed) or "(?!)"
            one = f"(?:{alternatives})"
            field["constraints"] = {"pattern": f"{one}(?:{re.escape(SEPARATOR)}{one})*"}
            field["allowedValues"] = allowed
        else:
            field["constraints"] = {"enum": allowed}
    if column.derived:
        field["derived"] = True
    return field


def datapackage(
    case_columns: list[Column], *, query: str, created: datetime, homepage: str
) -> dict:
    """The descriptor for cases.csv and outcomes.csv. Runs one query per codebook table.

    ``homepage`` is the site the extract came from (the request's own address, as in
    the README and the cases' ``url`` column), not a setting that may be left unset.
    """
    cache: dict = {}
    csv_resource = {
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
    }
    return {
        "profile": PROFILE,
        "name": "coproduction-case-atlas-extract",
        "title": f"{settings.SITE_NAME}: extract",
        "description": (
            "Published co-production cases selected by the query below, one row per case "
            "(cases.csv) and one row per case and outcome (outcomes.csv). Empty cells mean "
            f"'not stated'. Many-valued cells are joined with '{SEPARATOR}'."
        ),
        "homepage": homepage,
        "licenses": [dict(DATA_LICENCE)],
        "rights": SUMMARIES_NOTE,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "query": query,
        "resources": [
            {
                "name": "cases",
                "path": "cases.csv",
                **csv_resource,
                "schema": {
                    "fields": [field_descriptor(c, cache) for c in case_columns],
                    "primaryKey": ["slug"],
                },
            },
            {
                "name": "outcomes",
                "path": "outcomes.csv",
                **csv_resource,
                "schema": {
                    "fields": [field_descriptor(c, cache) for c in OUTCOME_COLUMNS],
                    "primaryKey": ["case_slug", "dimension"],
                    "foreignKeys": [
                        {
                            "fields": ["case_slug"],
                            "reference": {"resource": "cases", "fields": ["slug"]},
                        }
                    ],
                },
            },
        ],
    }

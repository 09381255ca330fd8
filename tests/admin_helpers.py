"""Building the POST data of the admin's case form, as a browser would send it.

The case form has two inlines (outcomes and sources); each needs its
management form, and rows already saved must carry their ids.
"""

from django.urls import reverse

from casestudies.models import DIMENSIONS, Case

SCALAR_FIELDS = [
    "title",
    "slug",
    "summary",
    "status",
    "locality",
    "participants",
    "start_year",
    "end_year",
    "units_studied",
    "source_pages",
    "coder_note",
]


def _inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    # Saved rows first: the formset takes the first INITIAL_FORMS rows as existing ones.
    ordered = sorted(rows, key=lambda row: not row.get("id"))
    for i, row in enumerate(ordered):
        for key, value in row.items():
            if value is None:
                continue
            data[f"{prefix}-{i}-{key}"] = value if key == "DELETE" else str(value)
    return data


def outcome_row(outcome=None, **values) -> dict:
    row = {"id": None, "dimension": "", "direction": "", "finding": "", "pages": ""}
    if outcome is not None:
        row.update(
            id=outcome.pk,
            dimension=outcome.dimension_id,
            direction=outcome.direction_id,
            finding=outcome.finding,
            pages=outcome.pages,
        )
    row.update(values)
    return row


def source_row(case_source=None, **values) -> dict:
    row = {"id": None, "source": "", "locator": "", "confidence": "H", "note": ""}
    if case_source is not None:
        row.update(
            id=case_source.pk,
            source=case_source.source_id,
            locator=case_source.locator,
            confidence=case_source.confidence,
            note=case_source.note,
        )
    row.update(values)
    return row


def case_form_data(case: Case | None = None, *, outcomes=None, sources=None, **overrides) -> dict:
    """POST data for the add (``case`` None) or change form; ``overrides`` win.

    ``outcomes``/``sources`` are lists of rows (see ``outcome_row``); by default
    the case's saved rows, unchanged. Many-valued fields take lists of pks.
    """
    data: dict = {"change_reason": ""}
    if case is not None:
        for name in SCALAR_FIELDS:
            value = getattr(case, name)
            data[name] = "" if value is None else str(value)
        # Hidden fields a browser sends back: the version the form showed and the
        # status it was opened with (the status changes only if the curator chose it).
        data["seen_version"] = str(case.version)
        data["initial-status"] = case.status
        data["chapter"] = str(case.chapter_id)
        data["users_influence"] = str(case.users_influence_id or "")
        for name in (d.field for d in DIMENSIONS):
            data[name] = [str(pk) for pk in getattr(case, name).values_list("pk", flat=True)]
        if outcomes is None:
            outcomes = [outcome_row(o) for o in case.outcomes.all()]
        if sources is None:
            sources = [source_row(s) for s in case.case_sources.all()]
    else:
        data.update(dict.fromkeys(SCALAR_FIELDS, ""))
        data.update(status="draft", users_influence="", chapter="")
    for key, value in overrides.items():
        if isinstance(value, list | tuple):
            data[key] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[key] = str(getattr(value, "pk", value))
    data.update(_inline("outcomes", outcomes or []))
    data.update(_inline("case_sources", sources or []))
    return data


def change_url(case) -> str:
    return reverse("admin:casestudies_case_change", args=[case.pk])


def add_url() -> str:
    return reverse("admin:casestudies_case_add")


def history_url(case) -> str:
    return reverse("admin:casestudies_case_history", args=[case.pk])


def version_url(case, history_id) -> str:
    return reverse("admin:casestudies_case_simple_history", args=[case.pk, history_id])


def compare_url(case) -> str:
    return reverse("admin:casestudies_case_history_compare", args=[case.pk])


def form_errors(response) -> str:
    """The errors of a re-rendered admin form, for assertion messages."""
    context = response.context
    if context is None or "adminform" not in context:
        return f"status {response.status_code}"
    errors = [str(context["adminform"].form.errors)]
    errors += [
        str(fs.formset.errors) + str(fs.formset.non_form_errors())
        for fs in context["inline_admin_formsets"]
    ]
    return " ".join(errors)

"""A case's history as a curator reads it: versions, diffs, and revert.

django-simple-history keeps the rows: one historical row per save of a case
(with a copy of its many-to-many values), and separate histories for its
outcomes and sources. A *version* here is one historical row of the case plus
the outcomes and sources as they stood at that moment, so a diff and a revert
cover the whole case, not just its own columns. The admin writes one case row
per save, after the inlines (see ``casestudies.admin.case``), so each version
includes that save's outcome and source edits.

Reads run a fixed number of queries however long the history is: all rows are
loaded at once and "as of" is worked out in memory.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ..models import DIMENSIONS, Case, CaseSource, CaseStatus, Confidence, Outcome
from .concurrency import lock_case
from .versions import one_version
from .workflow import publication_problems

# Bookkeeping columns: they change on every save and are not content to diff or revert.
UNTRACKED_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "is_synthetic",
    "version",
}
OUTCOME_VALUES = ("direction_id", "finding", "pages")
SOURCE_VALUES = ("locator", "confidence", "note")
# What the history pages show (in the curator's language); the reasons a version
# records are data, written in English whatever the curator's language.
EMPTY = _("(empty)")
KIND_LABELS = {
    "+": pgettext_lazy("case version", "Created"),
    "~": pgettext_lazy("case version", "Changed"),
    "-": pgettext_lazy("case version", "Deleted"),
}


def tracked_fields() -> list[models.Field]:
    """The case's own content columns, in model order (new columns join automatically)."""
    return [f for f in Case._meta.concrete_fields if f.name not in UNTRACKED_FIELDS]


def m2m_field_names() -> list[str]:
    return [d.field for d in DIMENSIONS]


@dataclass
class CaseState:
    """A case's content at one moment, as plain comparable values (ids, not objects)."""

    fields: dict[str, Any]  # attname -> value
    m2m: dict[str, frozenset]  # field name -> related primary keys
    outcomes: dict[int, tuple]  # dimension id -> (direction id, finding, pages)
    sources: dict[int, tuple]  # source id -> (locator, confidence, note)


@dataclass(frozen=True)
class Change:
    section: str  # "field", "outcome" or "source"
    label: str
    old: str
    new: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass
class Version:
    number: int  # 1 = the oldest
    history_id: int
    date: datetime
    user: Any
    reason: str
    kind: str  # "+", "~" or "-"
    state: CaseState
    case_version: int  # Case.version when this version was written
    changes: list[Change] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def live_state(case: Case) -> CaseState:
    """The state of ``case`` as saved now (uses prefetched relations when present)."""
    return CaseState(
        fields={f.attname: getattr(case, f.attname) for f in tracked_fields()},
        m2m={
            name: frozenset(o.pk for o in getattr(case, name).all()) for name in m2m_field_names()
        },
        outcomes={
            o.dimension_id: tuple(getattr(o, a) for a in OUTCOME_VALUES)
            for o in case.outcomes.all()
        },
        sources={
            s.source_id: tuple(getattr(s, a) for a in SOURCE_VALUES)
            for s in case.case_sources.all()
        },
    )


def _as_of(timelines: dict[int, list], moment: datetime, case_id: int, values) -> dict:
    """In-memory ``as_of``: the latest row of each object at ``moment``, keyed by its key."""
    state = {}
    for rows in timelines.values():
        latest = None
        for row in rows:
            if row["history_date"] > moment:
                break
            latest = row
        if latest and latest["history_type"] != "-" and latest["case_id"] == case_id:
            key, value = values(latest)
            state[key] = value
    return state


def _timelines(history_manager, case_id: int, columns: tuple[str, ...]) -> dict[int, list]:
    # Every row of every object that ever belonged to the case, so one moved away drops out.
    ids = history_manager.filter(case_id=case_id).values("id")
    rows = (
        history_manager.filter(id__in=ids)
        .order_by("history_date", "history_id")
        .values("id", "history_date", "history_type", "case_id", *columns)
    )
    timelines: dict[int, list] = {}
    for row in rows:
        timelines.setdefault(row["id"], []).append(row)
    return timelines


def case_versions(case_id: int) -> list[Version]:
    """Every version of a case, oldest first, each with its changes against the one before.

    Runs a fixed number of queries (about 15 with the labels) whatever the length
    of the history.
    """
    history_model = Case.history.model
    records = list(
        Case.history.filter(id=case_id)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    if not records:
        return []
    m2m_rows: dict[str, dict[int, set]] = {}
    for name in m2m_field_names():
        m2m_field = Case._meta.get_field(name)
        target = m2m_field.m2m_reverse_field_name()
        m2m_model = getattr(history_model, name).model
        by_record: dict[int, set] = {}
        rows = m2m_model.objects.filter(history__id=case_id).values_list(
            "history_id", f"{target}_id"
        )
        for history_id, pk in rows:
            by_record.setdefault(history_id, set()).add(pk)
        m2m_rows[name] = by_record
    outcome_timelines = _timelines(Outcome.history, case_id, ("dimension_id", *OUTCOME_VALUES))
    source_timelines = _timelines(CaseSource.history, case_id, ("source_id", *SOURCE_VALUES))

    versions = []
    for number, record in enumerate(records, start=1):
        state = CaseState(
            fields={f.attname: getattr(record, f.attname) for f in tracked_fields()},
            m2m={
                name: frozenset(m2m_rows[name].get(record.history_id, ()))
                for name in m2m_field_names()
            },
            outcomes=_as_of(
                outcome_timelines,
                record.history_date,
                case_id,
                lambda r: (r["dimension_id"], tuple(r[a] for a in OUTCOME_VALUES)),
            ),
            sources=_as_of(
                source_timelines,
                record.history_date,
                case_id,
                lambda r: (r["source_id"], tuple(r[a] for a in SOURCE_VALUES)),
            ),
        )
        versions.append(
            Version(
                number=number,
                history_id=record.history_id,
                date=record.history_date,
                user=record.history_user,
                reason=record.history_change_reason or "",
                kind=record.history_type,
                state=state,
                case_version=record.version,
            )
        )
    labels = Labels([v.state for v in versions])
    previous = empty_state()
    for version in versions:
        version.changes = case_diff(previous, version.state, labels=labels)
        previous = version.state
    return versions


def empty_state() -> CaseState:
    return CaseState(
        fields={f.attname: None for f in tracked_fields()},
        m2m={name: frozenset() for name in m2m_field_names()},
        outcomes={},
        sources={},
    )


class Labels:
    """Readable names for the ids in some states: one query per related model."""

    def __init__(self, states: list[CaseState]):
        wanted: dict[type[models.Model], set] = {}

        def want(model, ids):
            wanted.setdefault(model, set()).update(i for i in ids if i is not None)

        for state in states:
            for f in tracked_fields():
                if f.is_relation:
                    want(f.related_model, [state.fields.get(f.attname)])
            for d in DIMENSIONS:
                want(d.model, state.m2m.get(d.field, ()))
            want(Outcome._meta.get_field("dimension").related_model, state.outcomes)
            want(
                Outcome._meta.get_field("direction").related_model,
                [v[0] for v in state.outcomes.values()],
            )
            want(CaseSource._meta.get_field("source").related_model, state.sources)
        self._objects = {model: model.objects.in_bulk(ids) for model, ids in wanted.items() if ids}

    def name(self, model, pk) -> str:
        if pk is None:
            return str(EMPTY)
        obj = self._objects.get(model, {}).get(pk)
        # A term deleted since: say so rather than hide that the row pointed at something.
        if obj is not None:
            return str(obj)
        return gettext("deleted %(thing)s #%(id)s") % {"thing": model._meta.verbose_name, "id": pk}

    def order_key(self, model, pk):
        obj = self._objects.get(model, {}).get(pk)
        return (getattr(obj, "order", 0), str(obj) if obj else str(pk))


def _field_text(f: models.Field, value, labels: Labels) -> str:
    if value is None or value == "":
        return str(EMPTY)
    if f.is_relation:
        return labels.name(f.related_model, value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return str(value)


def _outcome_text(value, labels: Labels) -> str:
    if value is None:
        return str(EMPTY)
    direction_id, finding, pages = value
    direction_model = Outcome._meta.get_field("direction").related_model
    text = f"{labels.name(direction_model, direction_id)}: {finding}"
    return gettext("%(text)s (p. %(pages)s)") % {"text": text, "pages": pages} if pages else text


def _source_text(value) -> str:
    if value is None:
        return str(EMPTY)
    locator, confidence, note = value
    level = {Confidence.HIGH: _("high"), Confidence.MEDIUM: _("medium")}.get(confidence)
    parts = [
        locator or gettext("no locator"),
        gettext("confidence %(degree)s") % {"degree": level or confidence},
    ]
    if note:
        parts.append(note)
    return "; ".join(parts)


def case_diff(old: CaseState, new: CaseState, *, labels: Labels | None = None) -> list[Change]:
    """What changed from ``old`` to ``new``: fields, coded values, outcomes, sources."""
    labels = labels or Labels([old, new])
    changes = []
    for f in tracked_fields():
        before, after = old.fields.get(f.attname), new.fields.get(f.attname)
        if (before or None) != (after or None):
            changes.append(
                Change(
                    "field",
                    str(f.verbose_name).capitalize(),
                    _field_text(f, before, labels),
                    _field_text(f, after, labels),
                )
            )
    for name, model in ((d.field, d.model) for d in DIMENSIONS):
        before, after = old.m2m.get(name, frozenset()), new.m2m.get(name, frozenset())
        if before != after:

            def names(ids, model=model):
                ordered = sorted(ids, key=lambda pk: labels.order_key(model, pk))
                return tuple(labels.name(model, pk) for pk in ordered)

            changes.append(
                Change(
                    "field",
                    str(Case._meta.get_field(name).verbose_name).capitalize(),
                    ", ".join(names(before)) or str(EMPTY),
                    ", ".join(names(after)) or str(EMPTY),
                    added=names(after - before),
                    removed=names(before - after),
                )
            )
    dimension_model = Outcome._meta.get_field("dimension").related_model
    for dimension_id in sorted(
        old.outcomes.keys() | new.outcomes.keys(),
        key=lambda pk: labels.order_key(dimension_model, pk),
    ):
        before, after = old.outcomes.get(dimension_id), new.outcomes.get(dimension_id)
        if before != after:
            changes.append(
                Change(
                    "outcome",
                    gettext("Outcome: %(dimension)s")
                    % {"dimension": labels.name(dimension_model, dimension_id)},
                    _outcome_text(before, labels),
                    _outcome_text(after, labels),
                )
            )
    source_model = CaseSource._meta.get_field("source").related_model
    for source_id in sorted(old.sources.keys() | new.sources.keys()):
        before, after = old.sources.get(source_id), new.sources.get(source_id)
        if before != after:
            changes.append(
                Change(
                    "source",
                    gettext("Source: %(source)s")
                    % {"source": labels.name(source_model, source_id)},
                    _source_text(before),
                    _source_text(after),
                )
            )
    return changes


def case_version(case_id: int, history_id: int) -> tuple[Version, list[Version]]:
    """One version and the whole list it belongs to; ``ValidationError`` if unknown."""
    versions = case_versions(case_id)
    for version in versions:
        if version.history_id == history_id:
            return version, versions
    raise ValidationError(
        gettext("Version %(id)s is not a version of this case.") % {"id": history_id},
        code="unknown",
    )


def case_revert(
    *, case: Case, history_id: int, user, reason: str = "", seen_version: int | None = None
) -> list[str]:
    """Restore ``case`` to one of its versions: fields, coded values, outcomes and sources.

    The status is left as it is (publishing goes through ``casestudies.writes.workflow``);
    a published case cannot be reverted to content that could not be published.
    Terms deleted since the version are left out and named in the returned
    warnings. Raises ``ValidationError`` (nothing written) when the version is
    unknown or the restored case would be invalid, e.g. its old slug is taken, and
    :class:`~casestudies.writes.concurrency.StaleVersion` when the case is no longer at
    ``seen_version`` (the version the curator saw when choosing to revert).
    Everything happens in one transaction and leaves one new history version.
    """
    version, _versions = case_version(case.pk, history_id)
    return _revert(case, version, user=user, reason=reason, seen_version=seen_version)


def _revert(
    case: Case,
    version: Version,
    *,
    user,
    reason: str,
    created: bool = False,
    seen_version: int | None = None,
):
    """case_revert's work, for a version already read; ``created`` types the new version
    "created" (a case brought back after its deletion)."""
    if version.kind == "-":
        raise ValidationError(gettext("That version records a deletion; choose an earlier one."))
    target = version.state
    warnings: list[str] = []
    when = timezone.localtime(version.date).strftime("%Y-%m-%d %H:%M")

    with transaction.atomic():
        locked = lock_case(case.pk, seen_version)
        for f in tracked_fields():
            if f.name != "status":
                setattr(locked, f.attname, target.fields[f.attname])

        m2m = {}
        for name, model in ((d.field, d.model) for d in DIMENSIONS):
            wanted = target.m2m[name]
            existing = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
            m2m[name] = existing
            for pk in sorted(wanted - existing, key=str):
                warnings.append(
                    gettext("%(thing)s #%(id)s no longer exists.")
                    % {"thing": capfirst(model._meta.verbose_name), "id": pk}
                )
        outcomes = _existing_outcomes(target.outcomes, warnings)
        sources = _existing_sources(target.sources, warnings)

        if locked.status == CaseStatus.PUBLISHED:
            problems = publication_problems(locked, countries=m2m["countries"], sources=sources)
            if problems:
                raise ValidationError(
                    [
                        *problems,
                        gettext("The case is published: unpublish it before reverting to that."),
                    ]
                )
        try:
            locked.full_clean(exclude=["status"])
        except ValidationError as exc:
            raise ValidationError(_named_messages(exc)) from exc

        locked.updated_by = user
        reason = reason or f"Reverted to version {version.number} ({when})"
        with one_version(locked, user=user, reason=reason, created=created):
            for name, pks in m2m.items():
                getattr(locked, name).set(pks)
            _restore_children(
                locked.outcomes.all(),
                outcomes,
                key="dimension_id",
                columns=OUTCOME_VALUES,
                create=lambda key, values: Outcome(
                    case=locked, dimension_id=key, **dict(zip(OUTCOME_VALUES, values, strict=True))
                ),
                user=user,
            )
            _restore_children(
                locked.case_sources.all(),
                sources,
                key="source_id",
                columns=SOURCE_VALUES,
                create=lambda key, values: CaseSource(
                    case=locked, source_id=key, **dict(zip(SOURCE_VALUES, values, strict=True))
                ),
                user=user,
            )
    return warnings


def _named_messages(exc: ValidationError) -> list[str]:
    """A case's validation errors, each prefixed with the name of its field."""
    return [
        m
        if k == NON_FIELD_ERRORS
        else gettext("%(field)s: %(message)s")
        % {"field": Case._meta.get_field(k).verbose_name, "message": m}
        for k, msgs in exc.message_dict.items()
        for m in msgs
    ]


def _existing_outcomes(outcomes: dict, warnings: list[str]) -> dict:
    dimension_model = Outcome._meta.get_field("dimension").related_model
    direction_model = Outcome._meta.get_field("direction").related_model
    dimensions = dimension_model.objects.in_bulk(list(outcomes))
    directions = direction_model.objects.in_bulk([v[0] for v in outcomes.values()])
    kept = {}
    for dimension_id, values in outcomes.items():
        if dimension_id not in dimensions or values[0] not in directions:
            warnings.append(
                gettext(
                    "An outcome (dimension #%(id)s) uses a term that no longer exists; "
                    "not restored."
                )
                % {"id": dimension_id}
            )
            continue
        kept[dimension_id] = values
    return kept


def _existing_sources(sources: dict, warnings: list[str]) -> dict:
    source_model = CaseSource._meta.get_field("source").related_model
    found = source_model.objects.in_bulk(list(sources))
    kept = {}
    for source_id, values in sources.items():
        if source_id not in found:
            warnings.append(
                gettext("Source #%(id)s no longer exists; not restored.") % {"id": source_id}
            )
            continue
        kept[source_id] = values
    return kept


def _restore_children(current, wanted: dict, *, key: str, columns, create, user) -> None:
    """Make a case's child rows match ``wanted``: one save or delete each, each in history."""
    by_key = {getattr(child, key): child for child in current}
    for k, child in by_key.items():
        if k not in wanted:
            child._history_user = user
            child.delete()
    for k, values in wanted.items():
        child = by_key.get(k)
        if child is None:
            child = create(k, values)
        elif tuple(getattr(child, c) for c in columns) == values:
            continue
        else:
            for column, value in zip(columns, values, strict=True):
                setattr(child, column, value)
        child._history_user = user
        child.save()


def deleted_cases():
    """The deletion records of cases that are gone, newest first (one query)."""
    return (
        Case.history.filter(history_type="-")
        .exclude(id__in=Case.objects.values("pk"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def case_restore(
    *, case_id: int, user, reason: str = "", seen_version: int | None = None
) -> tuple[Case, list[str]]:
    """Bring a deleted case back, as it was just before its deletion, as a draft.

    Same id (so its history reads on), fields, coded values, outcomes and sources,
    restored as :func:`case_revert` restores a version; a draft, because a curator
    should look before it is public again. Raises ``ValidationError`` (nothing
    written) when the case is not deleted or cannot be restored, e.g. another case
    now has its slug or its chapter is gone, or when ``seen_version`` (the version
    of the deletion the curator chose to undo) is no longer the case's last one:
    it was restored and deleted again meanwhile. Leaves one new history version,
    typed "created", with the reason, one version number above the deletion's.
    """
    if Case.objects.filter(pk=case_id).exists():
        raise ValidationError(
            gettext("That case exists: it has not been deleted, or someone restored it meanwhile.")
        )
    versions = case_versions(case_id)
    if not versions or versions[-1].kind != "-":
        raise ValidationError(gettext("No deleted case has that id."))
    deletion = versions[-1]
    if seen_version is not None and deletion.case_version != seen_version:
        raise ValidationError(
            gettext(
                "This case was restored and deleted again since the list was shown (on "
                "%(date)s by %(user)s); nothing was restored. Reload the list and choose again."
            )
            % {
                "date": f"{timezone.localtime(deletion.date):%Y-%m-%d %H:%M}",
                "user": deletion.user.get_username()
                if deletion.user
                else gettext("an unrecorded user"),
            },
            code="stale",
        )
    before = next((v for v in reversed(versions) if v.kind != "-"), None)
    if before is None:
        raise ValidationError(
            gettext("The history holds no version of that case before its deletion.")
        )
    fields = {
        f.attname: before.state.fields[f.attname] for f in tracked_fields() if f.name != "status"
    }
    when = timezone.localtime(before.date).strftime("%Y-%m-%d %H:%M")
    with transaction.atomic():
        case = Case(
            pk=case_id,
            status=CaseStatus.DRAFT,
            created_by=user,
            updated_by=user,
            version=deletion.case_version + 1,
            **fields,
        )
        try:
            case.full_clean(exclude=["status"], validate_unique=True)
        except ValidationError as exc:
            raise ValidationError(_named_messages(exc)) from exc
        case.skip_history_when_saving = True  # _revert records the one version
        case.save(force_insert=True)
        del case.skip_history_when_saving
        reason = reason or f"Restored after deletion, as version {before.number} ({when})"
        warnings = _revert(case, before, user=user, reason=reason, created=True)
    return case, warnings

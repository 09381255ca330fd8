"""Cases, their outcomes, and the sources they rest on."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .dimensions import CODED_DIMENSIONS, COUNTRIES, DIMENSION_FIELDS, DIMENSIONS
from .reference import Chapter, Country, Source
from .vocabulary import InfluenceLevel, OutcomeDimension, OutcomeDirection

MIN_YEAR = 1800
MAX_YEAR = 2100


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")


class CaseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CaseStatus.PUBLISHED)

    def real(self):
        """Cases from sources, never the synthetic benchmark data."""
        return self.filter(is_synthetic=False)

    def with_related(self):
        """Pre-load everything a list or detail page shows: a fixed number of queries."""
        return self.select_related(
            "chapter", "chapter__source", "users_influence"
        ).prefetch_related(
            models.Prefetch(
                COUNTRIES.field,
                queryset=Country.objects.select_related("world_region", "welfare_tradition"),
            ),
            *(d.field for d in CODED_DIMENSIONS),
            models.Prefetch(
                "outcomes",
                queryset=Outcome.objects.select_related("dimension", "direction").order_by(
                    "dimension__order", "dimension__label"
                ),
            ),
            models.Prefetch("case_sources", queryset=CaseSource.objects.select_related("source")),
        )


class CaseManager(models.Manager.from_queryset(CaseQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Case(models.Model):
    chapter = models.ForeignKey(
        Chapter, on_delete=models.PROTECT, related_name="cases", verbose_name=_("chapter")
    )
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    summary = models.TextField(_("summary"), blank=True)

    # The coded many-valued dimensions, one field per entry of the registry
    # (casestudies.models.dimensions), created here in its order.
    vars().update({d.field: d.model_field() for d in DIMENSIONS})
    locality = models.CharField(
        _("locality"),
        max_length=200,
        blank=True,
        help_text=_("City or region; blank if not stated."),
    )
    users_influence = models.ForeignKey(
        InfluenceLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("users' influence"),
    )
    participants = models.TextField(
        _("participants"),
        blank=True,
        help_text=_("Who co-produces, as the source describes them."),
    )
    start_year = models.PositiveSmallIntegerField(_("start year"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)
    units_studied = models.PositiveIntegerField(
        _("units studied"),
        null=True,
        blank=True,
        help_text=_("How many units (organisations, partnerships…) this case stands for."),
    )

    sources = models.ManyToManyField(
        Source, through="CaseSource", related_name="cases", verbose_name=_("sources")
    )
    source_pages = models.CharField(_("source pages"), max_length=100, blank=True)
    coder_note = models.TextField(
        _("coder's note"), blank=True, help_text=_("What is uncertain or still missing.")
    )

    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CaseStatus.choices,
        default=CaseStatus.DRAFT,
        db_index=True,
    )
    # Synthetic benchmark rows are flagged so they can never pass for the book's data.
    is_synthetic = models.BooleanField(default=False, db_index=True, editable=False)

    # Optimistic concurrency: every recorded write of the case sets it one higher,
    # and a form, list action, revert or import based on an older number is
    # refused (casestudies.writes.concurrency). The history keeps it, so a refusal can
    # show what changed since the version the curator was looking at.
    version = models.PositiveIntegerField(default=1, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    history = HistoricalRecords(
        m2m_fields=list(DIMENSION_FIELDS),
        excluded_fields=["created_at"],
    )

    objects = CaseManager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # Publishing is its own right (casestudies.writes.workflow): curators hold it, and a
        # contributor role could prepare cases for review without it.
        permissions = [("publish_case", _("Can publish and unpublish cases"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_year__isnull=True)
                | models.Q(end_year__isnull=True)
                | models.Q(start_year__lte=models.F("end_year")),
                name="case_years_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(start_year__isnull=True)
                | models.Q(start_year__gte=MIN_YEAR, start_year__lte=MAX_YEAR),
                name="case_start_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end_year__isnull=True)
                | models.Q(end_year__gte=MIN_YEAR, end_year__lte=MAX_YEAR),
                name="case_end_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(units_studied__isnull=True) | models.Q(units_studied__gte=1),
                name="case_units_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(condition=~models.Q(slug=""), name="case_slug_not_empty"),
        ]
        indexes = [
            # The public list filters on status and sorts by title / recency.
            models.Index(fields=["status", "title"], name="case_status_title_idx"),
            models.Index(fields=["status", "-updated_at"], name="case_status_updated_idx"),
            # The home page keys its cached counts on the latest change to any case.
            models.Index(fields=["-updated_at"], name="case_updated_idx"),
            models.Index(fields=["status", "start_year"], name="case_status_start_idx"),
            # The matrix and the facet counts read the ids of published cases as a
            # subquery: with the id in the index that is an index-only scan, not a
            # scan of the wide case table (casestudies.reads.crosstab).
            models.Index(fields=["status", "id"], name="case_status_id_idx"),
            # The facet counts read the ids and chapters of the cases a query
            # selects (casestudies.facets): index-only, never the wide rows.
            models.Index(fields=["status", "id", "chapter"], name="case_status_id_chapter_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:case_detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def clean(self) -> None:
        errors = {}
        for field in ("start_year", "end_year"):
            value = getattr(self, field)
            if value is not None and not MIN_YEAR <= value <= MAX_YEAR:
                errors[field] = _("Enter a year between %(min)d and %(max)d.") % {
                    "min": MIN_YEAR,
                    "max": MAX_YEAR,
                }
        if (
            self.start_year is not None
            and self.end_year is not None
            and self.start_year > self.end_year
        ):
            errors["end_year"] = _("The end year cannot be before the start year.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        return self.status == CaseStatus.PUBLISHED


def m2m_link(name: str) -> tuple[type[models.Model], models.Field, models.Field]:
    """A many-to-many field of Case as its link table: (model, case field, term field).

    Callers take what they need of the two foreign keys: ``name`` for ORM lookups,
    ``attname`` for the id column's attribute, ``column`` for raw SQL.
    """
    field = Case._meta.get_field(name)
    through = field.remote_field.through
    get = through._meta.get_field
    return through, get(field.m2m_field_name()), get(field.m2m_reverse_field_name())


class OutcomeManager(models.Manager):
    def get_by_natural_key(self, case_slug, dimension_slug):
        return self.get(case__slug=case_slug, dimension__slug=dimension_slug)


class Outcome(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("case")
    )
    dimension = models.ForeignKey(
        OutcomeDimension,
        on_delete=models.PROTECT,
        related_name="outcomes",
        verbose_name=_("outcome dimension"),
    )
    direction = models.ForeignKey(
        OutcomeDirection,
        on_delete=models.PROTECT,
        related_name="outcomes",
        verbose_name=_("direction"),
    )
    finding = models.TextField(_("finding"), help_text=_("The evidence, in one sentence."))
    pages = models.CharField(
        _("pages"), max_length=60, blank=True, help_text=_("Page reference, if known.")
    )

    history = HistoricalRecords()
    objects = OutcomeManager()

    class Meta:
        ordering = ["dimension__order", "dimension__label"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.UniqueConstraint(fields=["case", "dimension"], name="outcome_one_per_dimension"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.direction}"

    def natural_key(self):
        return (*self.case.natural_key(), *self.dimension.natural_key())

    natural_key.dependencies = ["casestudies.case", "casestudies.outcomedimension"]


class Confidence(models.TextChoices):
    HIGH = "H", _("High: the source describes this chapter itself")
    MEDIUM = "M", _("Medium: a closely related article by the same authors")


class CaseSourceManager(models.Manager):
    def get_by_natural_key(self, case_slug, source_slug):
        return self.get(case__slug=case_slug, source__slug=source_slug)


class CaseSource(models.Model):
    """Provenance: which publication a case rests on, where in it, and how surely."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="case_sources", verbose_name=_("case")
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="case_sources", verbose_name=_("source")
    )
    locator = models.CharField(
        _("locator"),
        max_length=200,
        blank=True,
        help_text=_("Where in the source, e.g. 'Introduction, summary of ch. 16'."),
    )
    confidence = models.CharField(
        _("confidence"), max_length=1, choices=Confidence.choices, default=Confidence.HIGH
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()
    objects = CaseSourceManager()

    class Meta:
        ordering = ["confidence", "source__year"]
        verbose_name = _("case source")
        verbose_name_plural = _("case sources")
        constraints = [
            models.UniqueConstraint(fields=["case", "source"], name="casesource_unique"),
            models.CheckConstraint(
                condition=models.Q(confidence__in=Confidence.values),
                name="casesource_confidence_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} [{self.confidence}]"

    def natural_key(self):
        return (*self.case.natural_key(), *self.source.natural_key())

    natural_key.dependencies = ["casestudies.case", "casestudies.source"]

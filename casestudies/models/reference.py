"""Publications, their chapters, and countries: the reference data cases point at."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .country_names import country_name
from .vocabulary import WelfareTradition, WorldRegion


class SourceManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Source(models.Model):
    """A publication a case rests on: the book, a related article, a report."""

    class Kind(models.TextChoices):
        BOOK = "book", _("Edited book")
        ARTICLE = "article", _("Journal article")
        REPORT = "report", _("Report or working paper")
        OTHER = "other", _("Other")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BOOK)
    title = models.CharField(_("title"), max_length=400)
    authors = models.CharField(
        _("authors"),
        max_length=400,
        blank=True,
        help_text=_("Authors, or the editors of an edited volume, as published."),
    )
    is_edited = models.BooleanField(
        _("edited volume"), default=False, help_text=_("The names above are editors.")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    series = models.CharField(_("series"), max_length=200, blank=True)
    journal = models.CharField(_("journal"), max_length=200, blank=True)
    volume = models.CharField(_("volume"), max_length=40, blank=True)
    issue = models.CharField(_("issue"), max_length=40, blank=True)
    pages = models.CharField(_("pages"), max_length=40, blank=True)
    doi = models.CharField(max_length=200, blank=True, verbose_name="DOI")
    isbn = models.CharField(max_length=40, blank=True, verbose_name="ISBN")
    url = models.URLField(blank=True, verbose_name="URL")
    note = models.TextField(_("note"), blank=True)

    objects = SourceManager()

    class Meta:
        ordering = ["year", "title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return f"{self.authors} ({self.year or 'n.d.'}) {self.title}".strip()

    def natural_key(self):
        return (self.slug,)

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class ChapterQuerySet(models.QuerySet):
    def with_case_counts(self):
        """Annotate ``published_case_count``: one query for the whole list."""
        return self.select_related("source").annotate(
            published_case_count=models.Count(
                "cases", filter=models.Q(cases__status="published"), distinct=True
            )
        )


class ChapterManager(models.Manager.from_queryset(ChapterQuerySet)):
    def get_by_natural_key(self, source_slug, number):
        return self.get(source__slug=source_slug, number=number)


class Chapter(models.Model):
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="chapters", verbose_name=_("source")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    part = models.CharField(
        _("part"), max_length=200, blank=True, help_text=_("Blank where the source does not say.")
    )
    title = models.CharField(
        _("title"), max_length=400, blank=True, help_text=_("Blank where no source gives it.")
    )
    authors = models.CharField(
        _("authors"), max_length=300, help_text=_("As the source names them (surnames).")
    )
    page_start = models.PositiveIntegerField(_("first page"), null=True, blank=True)
    page_end = models.PositiveIntegerField(_("last page"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    summary_source = models.CharField(_("source of the summary"), max_length=300, blank=True)
    is_empirical = models.BooleanField(
        _("empirical"),
        default=True,
        help_text=_("Off for conceptual chapters, which have no cases by design."),
    )

    objects = ChapterManager()

    class Meta:
        ordering = ["source", "number"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="chapter_unique_number"),
            models.CheckConstraint(
                condition=models.Q(page_start__isnull=True)
                | models.Q(page_end__isnull=True)
                | models.Q(page_start__lte=models.F("page_end")),
                name="chapter_pages_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Ch. {self.number}: {self.display_title}"

    def get_absolute_url(self) -> str:
        return reverse("casestudies:chapter_detail", args=[self.number])

    def natural_key(self):
        return (*self.source.natural_key(), self.number)

    natural_key.dependencies = ["casestudies.source"]

    @property
    def display_title(self) -> str:
        return self.title or f"{self.authors} (title not recorded)"

    @property
    def pages(self) -> str:
        if self.page_start and self.page_end:
            return f"{self.page_start}–{self.page_end}"
        return ""


class CountryManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Country(models.Model):
    code = models.CharField(
        _("code"),
        max_length=2,
        primary_key=True,
        help_text=_("ISO 3166-1 alpha-2 code, upper case."),
    )
    name = models.CharField(_("name (English)"), max_length=100, unique=True)
    world_region = models.ForeignKey(
        WorldRegion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="countries",
        verbose_name=_("world region"),
    )
    welfare_tradition = models.ForeignKey(
        WelfareTradition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="countries",
        verbose_name=_("welfare tradition"),
        help_text=_("Empty means 'not classified'."),
    )
    welfare_source = models.CharField(
        _("source of the welfare tradition"),
        max_length=300,
        blank=True,
        help_text=_("The classification the welfare tradition is cited from."),
    )

    objects = CountryManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2}$"), name="country_code_iso_alpha2"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("casestudies:country_detail", args=[self.code.lower()])

    def natural_key(self):
        return (self.code,)

    @property
    def display_name(self) -> str:
        """The name in the visitor's language (``name`` is the English one the data keeps)."""
        return country_name(self.code, self.name)

"""The controlled vocabularies: the atlas's codebook.

Each vocabulary is its own table so that a case can only ever point at a term
of the right kind (a provider type can never be stored as a policy field); the
shared shape lives in :class:`VocabularyTerm`.

A term's ``label`` and ``definition`` are its English source: extracts, citations,
the search and every URL read them, whatever the visitor's language. Curators add
the other interface languages in ``label_in_<code>`` and ``definition_in_<code>``
(django-translated-fields makes one column per language of ``settings.LANGUAGES``);
pages show them through :meth:`VocabularyTerm.localized`, in English with a visible
mark where a translation is missing (docs/languages.md).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from translated_fields import TranslatedField, to_attribute

# Every interface language but the source one gets its own columns.
TRANSLATED_LANGUAGES = [
    code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
]


def _in_active_language(name, field):
    """The translation in the active language, "" if none (no silent fallback)."""

    def getter(self):
        language = translation.get_language()
        if language not in field.languages:
            return ""
        return getattr(self, to_attribute(name, language)) or ""

    return getter


def _per_language(what) -> dict:
    names = dict(settings.LANGUAGES)
    # The language's name in itself ("Deutsch"), as the switcher names it.
    return {
        code: {"verbose_name": format_lazy("{} ({})", what, names[code])}
        for code in TRANSLATED_LANGUAGES
    }


@dataclass(frozen=True)
class Localized:
    """A text in the visitor's language, or its English source where none is written."""

    text: str
    is_fallback: bool = False

    def __str__(self) -> str:
        # Plain text (a facet, an option, a composed label) marks the fallback in words.
        return f"{self.text} {gettext('(in English)')}" if self.is_fallback else self.text


def _shown_in(language: str | None) -> bool:
    """Whether ``language`` shows translations (the source language shows ``label``)."""
    return language in TRANSLATED_LANGUAGES


# The labels facets, the matrix and the map read from SQL (English) are put into the
# visitor's language from one dictionary per language: one query for every
# vocabulary, cached, and forgotten when a term is saved (VocabularyTerm.save).
LABELS_CACHE_SECONDS = 300


def _labels_cache_key(language: str) -> str:
    return f"vocabulary-labels:{language}"


def translated_labels(language: str) -> dict[tuple[str, str], str]:
    """{(vocabulary key, slug): label in ``language``} for every term that has one."""
    key = _labels_cache_key(language)
    labels = cache.get(key)
    if labels is None:
        column = f"label_in_{language}"
        queries = [
            model.objects.order_by()
            .exclude(**{column: ""})
            .values_list(models.Value(model.vocabulary_key), "slug", column)
            for model in VOCABULARIES
        ]
        rows = queries[0].union(*queries[1:], all=True)
        labels = {(vocabulary, slug): label for vocabulary, slug, label in rows}
        cache.set(key, labels, LABELS_CACHE_SECONDS)
    return labels


def term_label(model, slug: str, english: str) -> Localized:
    """The label of ``model``'s term ``slug`` (whose English label is ``english``)."""
    language = translation.get_language()
    if not _shown_in(language):
        return Localized(english)
    translated = translated_labels(language).get((model.vocabulary_key, slug))
    return Localized(translated) if translated else Localized(english, is_fallback=True)


def outcome_label(key: str, english: str) -> str:
    """ "Dimension: direction" of an outcome filter (``key`` "dimension:direction"),
    from its English "Service quality: improved"."""
    dimension, _sep, direction = key.partition(":")
    english_dimension, _sep, english_direction = english.partition(": ")
    named = term_label(OutcomeDimension, dimension, english_dimension)
    went = term_label(OutcomeDirection, direction, english_direction)
    return f"{named}: {in_sentence(str(went))}"


# Languages whose nouns keep their capital inside a sentence.
_CAPITALISED_NOUNS = {"de"}


def in_sentence(text: str) -> str:
    """A label as it reads inside a sentence: lower case, except in German (nouns)."""
    if translation.get_language() in _CAPITALISED_NOUNS:
        return text
    return text.lower()


class VocabularyQuerySet(models.QuerySet):
    def ordered(self):
        return self.order_by("order", "label")


class VocabularyManager(models.Manager.from_queryset(VocabularyQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class VocabularyTerm(models.Model):
    slug = models.SlugField(
        _("slug"), max_length=80, unique=True, help_text=_("Stable code used in URLs and extracts.")
    )
    label = models.CharField(_("label (English)"), max_length=120)
    definition = models.TextField(
        _("definition (English)"),
        blank=True,
        help_text=_("What the term means, paraphrased from its source."),
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Where the term and its definition come from."),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position in lists; also the rank of ordinal scales.")
    )
    label_in = TranslatedField(
        models.CharField(
            max_length=120,
            blank=True,
            help_text=_("The label in this language; empty shows the English one, marked."),
        ),
        _per_language(_("label")),
        languages=TRANSLATED_LANGUAGES,
        attrgetter=_in_active_language,
    )
    definition_in = TranslatedField(
        models.TextField(blank=True, help_text=_("The definition in this language.")),
        _per_language(_("definition")),
        languages=TRANSLATED_LANGUAGES,
        attrgetter=_in_active_language,
    )
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_(
            "Other words people use for this term, separated by commas (e.g. 'police' for "
            "Policing). The search finds the term's cases by these words as by its label."
        ),
    )

    # inherit=True gives every concrete vocabulary its own history table.
    history = HistoricalRecords(inherit=True)
    objects = VocabularyManager()

    # Set on each concrete vocabulary: the name the codebook and the URLs use.
    vocabulary_key = ""
    description = ""

    class Meta:
        abstract = True
        ordering = ["order", "label"]

    def __str__(self) -> str:
        # In the visitor's language: every page, the admin and composed labels use it.
        # Extracts, citations and the search read ``label`` (English) themselves.
        return str(self.localized("label"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete_many([_labels_cache_key(code) for code in TRANSLATED_LANGUAGES])

    def natural_key(self):
        return (self.slug,)

    def localized(self, field: str = "label") -> Localized:
        """``label`` or ``definition`` in the active language, else the English source."""
        source = getattr(self, field)
        if not _shown_in(translation.get_language()):
            return Localized(source)
        translated = getattr(self, f"{field}_in")
        if translated:
            return Localized(translated)
        return Localized(source, is_fallback=bool(source))

    @property
    def display_label(self) -> str:
        return self.localized("label").text


class PolicyField(VocabularyTerm):
    vocabulary_key = "policy_field"
    description = _("The public service or policy area in which co-production takes place.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("policy field")
        verbose_name_plural = _("policy fields")


class ProviderType(VocabularyTerm):
    vocabulary_key = "provider_type"
    description = _("Who provides the service in the case.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("provider type")
        verbose_name_plural = _("provider types")


class ParticipationForm(VocabularyTerm):
    vocabulary_key = "participation_form"
    description = _(
        "The arrangement: co-production, co-management, co-governance or co-construction."
    )

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("participation form")
        verbose_name_plural = _("participation forms")


class Level(VocabularyTerm):
    vocabulary_key = "level"
    description = _("Who co-produces: an individual, a group of users, or a collective.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("level")
        verbose_name_plural = _("levels")


class Phase(VocabularyTerm):
    vocabulary_key = "phase"
    description = _("The stage of the service cycle in which citizens take part.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("phase")
        verbose_name_plural = _("phases")


class ParticipationDimension(VocabularyTerm):
    vocabulary_key = "participation_dimension"
    description = _("The kinds of contribution users make (Pestoff).")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("participation dimension")
        verbose_name_plural = _("participation dimensions")


class InfluenceLevel(VocabularyTerm):
    vocabulary_key = "influence"
    description = _("How much say users have over the service: an ordered scale (order = rank).")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("users' influence level")
        verbose_name_plural = _("users' influence levels")


class CitizenRole(VocabularyTerm):
    vocabulary_key = "citizen_role"
    description = _("The role citizens play in the case.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("citizen role")
        verbose_name_plural = _("citizen roles")


class Method(VocabularyTerm):
    vocabulary_key = "method"
    description = _("How the case was studied.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("method")
        verbose_name_plural = _("methods")


class OutcomeDimension(VocabularyTerm):
    vocabulary_key = "outcome_dimension"
    description = _("The kind of effect a chapter reports.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("outcome dimension")
        verbose_name_plural = _("outcome dimensions")


class OutcomeDirection(VocabularyTerm):
    vocabulary_key = "outcome_direction"
    description = _("Which way an outcome went.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("outcome direction")
        verbose_name_plural = _("outcome directions")


class WorldRegion(VocabularyTerm):
    vocabulary_key = "world_region"
    description = _("The world region of a country.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("world region")
        verbose_name_plural = _("world regions")


class WelfareTradition(VocabularyTerm):
    vocabulary_key = "welfare_tradition"
    description = _("The welfare-state tradition of a country, from a cited classification.")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("welfare tradition")
        verbose_name_plural = _("welfare traditions")


# The codebook, in the order it is shown.
VOCABULARIES: list[type[VocabularyTerm]] = [
    ParticipationForm,
    Level,
    Phase,
    ParticipationDimension,
    InfluenceLevel,
    CitizenRole,
    ProviderType,
    PolicyField,
    OutcomeDimension,
    OutcomeDirection,
    Method,
    WorldRegion,
    WelfareTradition,
]

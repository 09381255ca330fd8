"""The controlled vocabularies: the atlas's codebook.

Each vocabulary is its own table so that a case can only ever point at a term
of the right kind (a provider type can never be stored as a policy field); the
shared shape lives in :class:`VocabularyTerm`.
"""

from django.db import models
from simple_history.models import HistoricalRecords


class VocabularyQuerySet(models.QuerySet):
    def ordered(self):
        return self.order_by("order", "label")


class VocabularyManager(models.Manager.from_queryset(VocabularyQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class VocabularyTerm(models.Model):
    slug = models.SlugField(
        max_length=80, unique=True, help_text="Stable code used in URLs and extracts."
    )
    label = models.CharField(max_length=120)
    definition = models.TextField(
        blank=True, help_text="What the term means, paraphrased from its source."
    )
    source = models.CharField(
        max_length=300, blank=True, help_text="Where the term and its definition come from."
    )
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Position in lists; also the rank of ordinal scales."
    )
    synonyms = models.TextField(
        blank=True,
        help_text=(
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
        return self.label

    def natural_key(self):
        return (self.slug,)


class PolicyField(VocabularyTerm):
    vocabulary_key = "policy_field"
    description = "The public service or policy area in which co-production takes place."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "policy field"


class ProviderType(VocabularyTerm):
    vocabulary_key = "provider_type"
    description = "Who provides the service in the case."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "provider type"


class ParticipationForm(VocabularyTerm):
    vocabulary_key = "participation_form"
    description = "The arrangement: co-production, co-management, co-governance or co-construction."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "participation form"


class Level(VocabularyTerm):
    vocabulary_key = "level"
    description = "Who co-produces: an individual, a group of users, or a collective."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "level"


class Phase(VocabularyTerm):
    vocabulary_key = "phase"
    description = "The stage of the service cycle in which citizens take part."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "phase"


class ParticipationDimension(VocabularyTerm):
    vocabulary_key = "participation_dimension"
    description = "The kinds of contribution users make (Pestoff)."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "participation dimension"


class InfluenceLevel(VocabularyTerm):
    vocabulary_key = "influence"
    description = "How much say users have over the service: an ordered scale (order = rank)."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "users' influence level"


class CitizenRole(VocabularyTerm):
    vocabulary_key = "citizen_role"
    description = "The role citizens play in the case."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "citizen role"


class Method(VocabularyTerm):
    vocabulary_key = "method"
    description = "How the case was studied."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "method"


class OutcomeDimension(VocabularyTerm):
    vocabulary_key = "outcome_dimension"
    description = "The kind of effect a chapter reports."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "outcome dimension"


class OutcomeDirection(VocabularyTerm):
    vocabulary_key = "outcome_direction"
    description = "Which way an outcome went."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "outcome direction"


class WorldRegion(VocabularyTerm):
    vocabulary_key = "world_region"
    description = "The world region of a country."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "world region"


class WelfareTradition(VocabularyTerm):
    vocabulary_key = "welfare_tradition"
    description = "The welfare-state tradition of a country, from a cited classification."

    class Meta(VocabularyTerm.Meta):
        verbose_name = "welfare tradition"


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

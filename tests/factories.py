"""factory-boy factories mirroring how the models relate.

Vocabulary terms and countries are created on demand with unique slugs; cases
get their many-valued dimensions through post-generation hooks, e.g.
``CaseFactory(countries=[se], policy_fields=[childcare])``.
"""

import factory
from django.contrib.auth import get_user_model

from casestudies import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


def _term_factory(model):
    return type(
        f"{model.__name__}Factory",
        (factory.django.DjangoModelFactory,),
        {
            "Meta": type("Meta", (), {"model": model, "django_get_or_create": ["slug"]}),
            "slug": factory.Sequence(
                lambda n, m=model: f"{m.vocabulary_key}-{n}".replace("_", "-")
            ),
            "label": factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize()),
            "definition": "A term made for a test.",
            "source": "Test suite",
            "order": factory.Sequence(int),
        },
    )


PolicyFieldFactory = _term_factory(models.PolicyField)
ProviderTypeFactory = _term_factory(models.ProviderType)
ParticipationFormFactory = _term_factory(models.ParticipationForm)
LevelFactory = _term_factory(models.Level)
PhaseFactory = _term_factory(models.Phase)
ParticipationDimensionFactory = _term_factory(models.ParticipationDimension)
InfluenceLevelFactory = _term_factory(models.InfluenceLevel)
CitizenRoleFactory = _term_factory(models.CitizenRole)
MethodFactory = _term_factory(models.Method)
OutcomeDimensionFactory = _term_factory(models.OutcomeDimension)
OutcomeDirectionFactory = _term_factory(models.OutcomeDirection)
WorldRegionFactory = _term_factory(models.WorldRegion)
WelfareTraditionFactory = _term_factory(models.WelfareTradition)


def _code(n: int) -> str:
    # Two upper-case letters, unique for the first 676 countries a test makes.
    return chr(65 + (n // 26) % 26) + chr(65 + n % 26)


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Country
        django_get_or_create = ["code"]

    code = factory.Sequence(_code)
    name = factory.LazyAttribute(lambda o: f"Country {o.code}")
    world_region = factory.SubFactory(WorldRegionFactory)
    welfare_tradition = factory.SubFactory(WelfareTraditionFactory)
    welfare_source = "Test classification"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"source-{n}")
    kind = models.Source.Kind.BOOK
    title = factory.Sequence(lambda n: f"An Edited Volume {n}")
    authors = "Ada Editor, Ben Editor"
    is_edited = True
    year = 2012
    publisher = "Routledge"


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Chapter

    source = factory.SubFactory(SourceFactory)
    number = factory.Sequence(lambda n: n + 2)
    part = "Part II"
    title = factory.Sequence(lambda n: f"A chapter {n}")
    authors = "Author"
    summary = "What the chapter studies."


def _m2m_hook(field_name):
    def hook(self, create, extracted, **kwargs):
        if create and extracted:
            getattr(self, field_name).set(extracted)

    return factory.post_generation(hook)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Case
        skip_postgeneration_save = True

    chapter = factory.SubFactory(ChapterFactory)
    title = factory.Sequence(lambda n: f"Case {n}")
    slug = factory.Sequence(lambda n: f"case-{n}")
    summary = "A case made for a test."
    status = models.CaseStatus.PUBLISHED

    countries = _m2m_hook("countries")
    policy_fields = _m2m_hook("policy_fields")
    provider_types = _m2m_hook("provider_types")
    participation_forms = _m2m_hook("participation_forms")
    levels = _m2m_hook("levels")
    phases = _m2m_hook("phases")
    participation_dimensions = _m2m_hook("participation_dimensions")
    citizen_roles = _m2m_hook("citizen_roles")
    methods = _m2m_hook("methods")

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        # Every case rests on a source; tests may pass their own list (or [] for none).
        if not create:
            return
        sources = extracted if extracted is not None else [self.chapter.source]
        for source in sources:
            models.CaseSource.objects.create(case=self, source=source, locator="Test")


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Outcome

    case = factory.SubFactory(CaseFactory)
    dimension = factory.SubFactory(OutcomeDimensionFactory)
    direction = factory.SubFactory(OutcomeDirectionFactory)
    finding = "The finding in one sentence."
    pages = ""

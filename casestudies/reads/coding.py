"""A published case's coding from the in-memory case index, for the case page.

The case page lays out a case and its ~19 related cases field by field (their
"Differs in"). Prefetching every relation of 20 cases was eleven queries and half
of the page's time at 100,000 cases; yet the case index (``case_index.py``) already
holds, per term of every coded dimension, the bitmap of the published cases that
have it. So a case's terms are membership tests (:meth:`CaseIndex.terms_of_case`),
and the terms themselves come from a :class:`Codebook`: every term the rows show,
loaded once per index (two queries) and kept with it, with each term's label in
each language worked out once.

Staleness: the codebook is read under the index's data stamp, which every write to
a vocabulary, a country or a link bumps (``datastamp.py``), so it is never used
after a write commits: the next request sees another stamp. The users' influence
(whose table bumps no stamp) is read with each case instead.
"""

import threading
import weakref
from dataclasses import dataclass, field

from django.db.models import Value
from translated_fields import to_attribute

from ..models import (
    CODED_DIMENSIONS,
    COUNTRIES,
    DIMENSIONS,
    Country,
    OutcomeDimension,
    OutcomeDirection,
    WelfareTradition,
)
from ..models.vocabulary import TRANSLATED_LANGUAGES
from .case_index import CaseIndex
from .presenters import Coding

# The vocabularies whose terms the rows show (InfluenceLevel comes with the case).
_VOCABULARIES = [
    *(d.model for d in CODED_DIMENSIONS),
    OutcomeDimension,
    OutcomeDirection,
    WelfareTradition,
]
_LABELS = [to_attribute("label_in", code) for code in TRANSLATED_LANGUAGES]
# The index holds the terms of the dimensions that have a facet: a dimension without
# one would leave the case page to its prefetching path.
COVERS_EVERY_DIMENSION = all(d.param and d.facet_label for d in DIMENSIONS)


@dataclass(frozen=True, slots=True)
class Shown:
    """A term as the rows read it: its label in one language (its ``str``), its slug."""

    slug: str
    text: str
    vocabulary_key: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class ShownCountry:
    """A country as the rows read it: its code, its name in one language, its tradition."""

    code: str
    text: str
    welfare_tradition: Shown | None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Codebook:
    """Every term the rows show, as model instances: {model: {pk: term}}, and the
    countries by code, each with its welfare tradition set. Their labels in a
    language (:meth:`shown`) are worked out on first use and kept."""

    terms: dict[type, dict[int, object]]
    countries: dict[str, Country]
    _shown: dict = field(default_factory=dict)

    @classmethod
    def load(cls, using: str) -> "Codebook":
        """Two queries: every vocabulary's terms (one ``UNION ALL``), the countries."""
        queries = [
            model.objects.using(using)
            .order_by()
            .values_list(Value(index), "pk", "slug", "label", "order", *_LABELS)
            for index, model in enumerate(_VOCABULARIES)
        ]
        terms: dict[type, dict[int, object]] = {model: {} for model in _VOCABULARIES}
        for index, pk, slug, label, order, *translated in queries[0].union(*queries[1:], all=True):
            model = _VOCABULARIES[index]
            names = dict(zip(_LABELS, translated, strict=True))
            terms[model][pk] = model(id=pk, slug=slug, label=label, order=order, **names)
        traditions = terms[WelfareTradition]
        countries = {}
        for code, name, tradition in Country.objects.using(using).values_list(
            "code", "name", "welfare_tradition_id"
        ):
            country = Country(code=code, name=name)
            country.welfare_tradition = traditions.get(tradition)  # None: not classified
            countries[code] = country
        return cls(terms, countries)

    def shown(self, language: str) -> tuple[dict, dict]:
        """({model: {pk: Shown}}, {code: ShownCountry}) in ``language`` (the active one:
        ``str`` of a term reads it)."""
        found = self._shown.get(language)
        if found is None:
            terms = {
                model: {pk: Shown(t.slug, str(t), t.vocabulary_key) for pk, t in by_pk.items()}
                for model, by_pk in self.terms.items()
            }
            traditions = terms[WelfareTradition]
            countries = {
                code: ShownCountry(
                    code,
                    str(country),
                    traditions[country.welfare_tradition_id]
                    if country.welfare_tradition_id
                    else None,
                )
                for code, country in self.countries.items()
            }
            found = self._shown[language] = (terms, countries)
        return found

    def coding(
        self, index: CaseIndex, pk: int, language: str, users_influence, outcomes=None
    ) -> Coding:
        """The coding of the published case ``pk`` as the index holds it, its terms
        shown in ``language`` (the active one). ``outcomes``: its (dimension, direction)
        pairs when the caller has loaded them."""
        terms, countries = self.shown(language)
        if outcomes is None:
            dimensions, directions = terms[OutcomeDimension], terms[OutcomeDirection]
            outcomes = [
                (dimensions[dimension], directions[direction])
                for dimension, direction in index.outcomes_of_case(pk)
            ]
        return Coding(
            countries=[countries[code] for code in index.terms_of_case(pk, COUNTRIES.param)],
            terms={
                d.field: [terms[d.model][term] for term in index.terms_of_case(pk, d.param)]
                for d in CODED_DIMENSIONS
            },
            users_influence=users_influence,
            outcomes=outcomes,
        )


_lock = threading.Lock()
_codebooks: "weakref.WeakKeyDictionary[CaseIndex, Codebook]" = weakref.WeakKeyDictionary()


def codebook(index: CaseIndex, using: str) -> Codebook:
    """The codebook kept with ``index`` (loaded on first use: two queries)."""
    with _lock:
        found = _codebooks.get(index)
    if found is None:
        found = Codebook.load(using)
        with _lock:
            _codebooks[index] = found
    return found

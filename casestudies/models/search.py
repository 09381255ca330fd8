"""Spelling variants the search treats as one: curated data, not code.

The stemmers fold inflections (police/policing); what they cannot see — British
and American spellings, compounds written apart or together, abbreviations —
comes from these rows. Curators edit them in the admin; a change applies to the
next search (they expand the query, so no case needs re-indexing).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def split_variants(text: str) -> list[str]:
    """The comma-separated variants of ``text``, stripped, without empty ones."""
    return [part.strip() for part in text.split(",") if part.strip()]


class SearchSynonymManager(models.Manager):
    def get_by_natural_key(self, variants):
        return self.get(variants=variants)


class SearchSynonym(models.Model):
    variants = models.TextField(
        _("variants"),
        unique=True,
        help_text=_(
            "Words or phrases that mean the same to a search, separated by commas, "
            "e.g. 'neighbourhood, neighborhood' or 'childcare, child care'."
        ),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("Why they are the same.")
    )

    objects = SearchSynonymManager()

    class Meta:
        ordering = ["variants"]
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")

    def __str__(self) -> str:
        return self.variants

    def natural_key(self):
        return (self.variants,)

    def clean(self) -> None:
        if len(split_variants(self.variants)) < 2:
            raise ValidationError(
                {"variants": _("Give at least two variants, separated by commas.")}
            )

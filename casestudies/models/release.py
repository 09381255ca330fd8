"""Numbered data releases: the published data frozen, its files stored, never edited."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

VERSION_PATTERN = r"[0-9]{1,4}(?:\.[0-9]{1,4}){0,2}"
VERSION_RE = re.compile(rf"^{VERSION_PATTERN}\Z")


def version_key(version: str) -> tuple[int, ...]:
    """ "1.10" sorts after "1.9": compare versions as numbers, padded to three parts."""
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


class ReleaseImmutable(Exception):
    """A release is never edited or deleted once it exists."""


class ReleaseQuerySet(models.QuerySet):
    def latest_first(self):
        return self.order_by("-created", "-pk")


class Release(models.Model):
    """The published cases as they stood at ``created``, with the files a reader downloads.

    The files live in the "releases" storage under ``<version>/``; ``files`` records
    each one's size and SHA-256, so a download can be checked against it. Rows are
    written once by ``casestudies.releases.create_release`` and never changed.
    """

    version = models.CharField(
        _("version"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                VERSION_RE,
                _("A version is 1 to 3 numbers separated by dots, e.g. 1.0 or 2.1.3."),
            )
        ],
        help_text=_("1 to 3 numbers separated by dots, e.g. 1.0; higher than every earlier one."),
    )
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("What this release is, for its readers.")
    )
    created = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    case_count = models.PositiveIntegerField(_("cases"))
    outcome_count = models.PositiveIntegerField(_("outcomes"))
    files = models.JSONField(
        _("files"), help_text=_("[{name, bytes, sha256, mediatype}] of the stored files.")
    )
    changelog = models.JSONField(
        _("changes"), help_text=_("Cases added, withdrawn and changed since the previous.")
    )
    history_mark = models.BigIntegerField(
        _("history mark"),
        default=0,
        help_text=_("The last case history entry included: later ones are changes since."),
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__regex=rf"^{VERSION_PATTERN}$"),
                name="release_version_format",
            ),
        ]

    def __str__(self) -> str:
        return f"Release {self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReleaseImmutable(f"Release {self.version} exists and is never edited.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("casestudies:release_detail", args=[self.version])

    def delete(self, *args, **kwargs):
        raise ReleaseImmutable(f"Release {self.version} is never deleted.")

    def file(self, name: str) -> dict:
        for entry in self.files:
            if entry["name"] == name:
                return entry
        raise KeyError(name)

    def storage_name(self, name: str) -> str:
        return f"{self.version}/{name}"

    def clean(self):
        if self.version and not VERSION_RE.match(self.version):
            raise ValidationError({"version": _("A version is 1 to 3 numbers, e.g. 1.0.")})

"""Numbered, immutable data releases: freezing the published data, its changelog, its metadata."""

from .build import ReleaseError, create_release, release_storage

__all__ = ["ReleaseError", "create_release", "release_storage"]

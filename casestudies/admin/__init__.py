from . import case, reference, release, vocabulary  # noqa: F401  (registers the admin classes)

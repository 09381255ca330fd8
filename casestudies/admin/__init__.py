from . import accounts, case, reference, release, vocabulary  # noqa: F401  (registers the admin classes)

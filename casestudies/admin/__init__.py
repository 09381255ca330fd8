from . import accounts, case, reference, vocabulary  # noqa: F401  (registers the admin classes)

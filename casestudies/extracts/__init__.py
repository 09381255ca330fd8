"""Extracts: the filtered case list as CSV, JSON and a self-documenting ZIP bundle.

``columns`` is the single column specification; the writers, the data package,
the bundle and the importer (``casestudies.importing``) all read it, so an
export can always be imported again.
"""

"""Plumbing: bad-input handling, URL converters, context processors, fixtures, licences, roles."""

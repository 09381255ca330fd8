"""Reads: what the public pages and the extracts show, computed from the data (no writes)."""

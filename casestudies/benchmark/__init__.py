"""Benchmark tooling inside the app: synthetic cases (never the book's data)."""

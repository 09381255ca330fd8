"""Writes of curated content: the publishing workflow, versions and history, concurrency."""

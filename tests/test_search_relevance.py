"""Measured relevance: recall@10 and mean reciprocal rank over the book's cases.

The queries and the cases each must find are data (tests/data/search_relevance.yaml),
written from the cases' text and coding. The test fails below recall@10 0.95 or
MRR 0.8, on whichever database the suite runs (SQLite by default, PostgreSQL with
DATABASE_URL), and whenever an excluded case comes back. Run with ``-s`` to see
the figures and the weakest queries.
"""

from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from django.db import connection
from django.http import QueryDict

from casestudies.facets import CaseQuery
from casestudies.reads.search import uses_fts

QUERIES = yaml.safe_load((Path(__file__).parent / "data" / "search_relevance.yaml").read_text())
MIN_RECALL_AT_10 = 0.95
MIN_MRR = 0.8


def recall_at(k: int, ranked: list[str], expected: list[str]) -> float:
    """Share of the expected cases among the first ``k`` (of at most ``k`` expected)."""
    return len(set(ranked[:k]) & set(expected)) / min(k, len(expected))


def reciprocal_rank(ranked: list[str], expected: list[str]) -> float:
    for position, slug in enumerate(ranked, start=1):
        if slug in expected:
            return 1 / position
    return 0.0


def test_metrics_on_a_known_ranking():
    assert recall_at(10, ["a", "x", "b"], ["a", "b"]) == 1.0
    assert recall_at(2, ["a", "x", "b"], ["a", "b"]) == 0.5
    assert reciprocal_rank(["x", "y", "a"], ["a"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], ["a"]) == 0.0


def test_the_set_is_big_and_varied_enough():
    assert len(QUERIES) >= 40
    kinds = {q["kind"] for q in QUERIES}
    assert {"country", "author", "spelling", "coded", "phrase", "exclusion"} <= kinds


def test_relevance_on_the_books_cases(book_data):
    if not uses_fts(connection):
        pytest.skip("SQLite without FTS5: the substring fallback neither stems nor ranks")
    from casestudies.models import Case

    published = set(Case.objects.published().values_list("slug", flat=True))
    recalls, reciprocal_ranks, weak, leaks = [], [], [], []
    for item in QUERIES:
        assert set(item["expect"]) <= published, f"{item['q']}: expects an unpublished case"
        ranked = list(
            CaseQuery(QueryDict(urlencode({"q": item["q"]}))).cases.values_list("slug", flat=True)
        )
        recall = recall_at(10, ranked, item["expect"])
        rr = reciprocal_rank(ranked, item["expect"])
        recalls.append(recall)
        reciprocal_ranks.append(rr)
        if recall < 1 or rr < 1:
            weak.append(f"{item['q']!r}: recall@10 {recall:.2f}, RR {rr:.2f}, got {ranked[:5]}")
        leaks += [f"{item['q']!r} returned {s}" for s in item.get("exclude", []) if s in ranked]
    mean_recall = sum(recalls) / len(recalls)
    mrr = sum(reciprocal_ranks) / len(reciprocal_ranks)
    print(
        f"\nsearch relevance on {connection.vendor}, {len(QUERIES)} queries: "
        f"recall@10 {mean_recall:.3f}, MRR {mrr:.3f}"
    )
    print("\n".join(weak))
    assert not leaks
    assert mean_recall >= MIN_RECALL_AT_10, "\n".join(weak)
    assert mrr >= MIN_MRR, "\n".join(weak)

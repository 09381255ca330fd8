"""Reading what a visitor typed: syntax, folding, hyphens and curated synonyms (no database)."""

from casestudies.reads.search import fts5_query
from casestudies.reads.search_query import Synonyms, Term, fold, parse, words_of


def texts(clause):
    return [t.text for t in clause.alternatives]


SYNONYMS = Synonyms.from_rows(
    [
        "childcare, child care",
        "neighbourhood, neighborhood",
        "timebank, time bank, timebanking, time banking",
    ]
)


def test_fold_lowercases_and_drops_accents():
    assert fold("Québec ÖSTERSUND Calabrò") == "quebec ostersund calabro"
    assert words_of("Co-operative non-profit") == ("cooperative", "nonprofit")


def test_words_phrases_or_and_exclusions():
    search = parse('parents "run the co-op" or tenants -"day care" -x')
    assert [texts(c) for c in search.clauses] == [
        ["parents"],
        ["run the coop", "run the co op", "tenants"],
    ]
    assert [texts(c) for c in search.excluded] == [["day care"], ["x"]]
    assert parse("!!! ---").is_empty


def test_a_hyphenated_word_is_both_joined_and_split():
    (clause,) = parse("state-owned").clauses
    assert texts(clause) == ["stateowned", "state owned"]


def test_synonyms_expand_single_words_and_phrases_typed_as_words():
    assert [texts(c) for c in parse("child care Sweden", SYNONYMS).clauses] == [
        ["child care", "childcare"],
        ["sweden"],
    ]
    assert texts(parse("Neighborhood", SYNONYMS).clauses[0]) == ["neighborhood", "neighbourhood"]
    # Compared by stems: "time banks" is a form of the variant "time bank".
    assert "timebanking" in texts(parse("time banks", SYNONYMS).clauses[0])


def test_synonyms_expand_exclusions_and_alternatives():
    search = parse("housing -neighborhood or childcare", SYNONYMS)
    assert texts(search.excluded[0]) == ["neighborhood", "neighbourhood"]
    search = parse("housing or childcare", SYNONYMS)
    assert texts(search.clauses[0]) == ["housing", "childcare", "child care"]


def test_quoted_words_are_not_merged_into_a_variant():
    search = parse('"child" care', SYNONYMS)
    assert [texts(c) for c in search.clauses] == [["child"], ["care"]]


def test_the_fallback_ors_the_clauses():
    search = parse("a b -c")
    assert search.can_fall_back
    assert fts5_query(search) == '(("a") AND ("b")) NOT (("c"))'
    assert fts5_query(search.falling_back()) == '(("a") OR ("b")) NOT (("c"))'
    assert not parse("a").can_fall_back


def test_fts5_query_quotes_every_term():
    search = parse('NEAR(a b) "x" AND title:y')
    # "NEAR(a" is one token, the phrase "near a"; nothing reaches FTS5 unquoted.
    assert fts5_query(search) == '("near a") AND ("b") AND ("x") AND ("and") AND ("title y")'
    assert Term(("a", "b")).text == "a b"

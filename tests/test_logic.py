import pytest

from sokrates.logic import And, Atom, ForAll, Implies, Not, parse_sentence, render


@pytest.mark.parametrize("sentence, expected", [
    ("Every wumpus is a tumpus.", ForAll("x", Implies(Atom("wumpus", "x"), Atom("tumpus", "x")))),
    ("Each numpus is not dull.", ForAll("x", Implies(Atom("numpus", "x"), Not(Atom("dull", "x"))))),
    ("Wumpuses are numpuses.", ForAll("x", Implies(Atom("wumpus", "x"), Atom("numpus", "x")))),
    ("Jompuses are not shy.", ForAll("x", Implies(Atom("jompus", "x"), Not(Atom("shy", "x"))))),
    ("Sally is a wumpus.", Atom("wumpus", "Sally")),
    ("Sally is not transparent.", Not(Atom("transparent", "Sally"))),
    ("Sally is a wumpus and a yumpus.", And(Atom("wumpus", "Sally"), Atom("yumpus", "Sally"))),
])
def test_public_phrasings_parse(sentence, expected):
    assert parse_sentence(sentence) == expected


@pytest.mark.parametrize("style", ["every", "each", "plural"])
def test_render_round_trips_in_every_style(style):
    f = parse_sentence("Every wumpus is not a tumpus")
    assert parse_sentence(render(f, style)) == f


def test_noun_and_adjective_are_told_apart_in_plural_rules():
    rule = parse_sentence("Wumpuses are nervous")
    assert rule.body.right == Atom("nervous", "x") and not rule.body.right.noun
    assert parse_sentence("Wumpuses are numpuses").body.right.noun


def test_unknown_grammar_gives_none():
    assert parse_sentence("The cat sat on the mat and purred loudly") is None
    assert parse_sentence("") is None

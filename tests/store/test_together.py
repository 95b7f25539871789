"""Store.together(): several calls, one transaction: seen by others only at its end, undone whole on failure."""

from __future__ import annotations

import pytest

from archiver.store import Store


class Boom(Exception):
    pass


def test_calls_inside_together_commit_at_once_and_others_see_them_only_after(store, database_url):
    seen_inside = {}
    with Store.open(database_url) as other:

        def work() -> str:
            store.save_text("h1", "first text")
            store.save_text("h2", "second text")
            seen_inside["own"] = store.get_text("h1")  # our own uncommitted write, in our transaction
            seen_inside["other"] = other.get_text("h1")  # another connection: not committed yet
            return "done"

        assert store.together("save two texts", work) == "done"
        assert seen_inside == {"own": "first text", "other": None}
        assert (other.get_text("h1"), other.get_text("h2")) == ("first text", "second text")


def test_a_failure_inside_together_undoes_every_call(store):
    def work() -> None:
        store.save_text("h1", "kept only if all of it is")
        raise Boom

    with pytest.raises(Boom):
        store.together("save a text, then fail", work)
    assert store.get_text("h1") is None
    store.save_text("h1", "after")  # the store works on: nothing was left open
    assert store.get_text("h1") == "after"


def test_together_nests_into_the_outer_transaction(store):
    def inner() -> None:
        store.save_text("inner", "x")

    def outer() -> None:
        store.together("inner", inner)
        raise Boom

    with pytest.raises(Boom):
        store.together("outer", outer)
    assert store.get_text("inner") is None

"""Differences between two documents of a record, as curators read them in admin and as readers
are told of them: pure functions, no database."""

from catalogue.diffs import (
    CONTEXT_WORDS,
    ELISION,
    PublicSummary,
    changed_keys,
    field_label,
    public_summary,
    record_changes,
    referenced_keys,
    word_diff,
)
from catalogue.models import SDG, Actor, Agreement, City, Initiative, Source, Theme

GESDA = {
    "slug": "gesda",
    "name": "GESDA",
    "summary": "",
    "description": "A joint programme of Switzerland and Geneva.",
    "website": "https://gesda.global/",
    "publication": "published",
    "created_at": "2026-03-01T09:00:00Z",
    "updated_at": "2026-03-01T09:00:00Z",
    "last_verified": None,
    "kind": "programme",
    "status": "active",
    "start_year": None,
    "parent": None,
    "themes": ["science-policy-interface"],
    "sdgs": [],
    "participations": [
        {"actor": "city-of-geneva", "role": "lead", "start_year": None, "end_year": None}
    ],
    "citations": [{"source": "cidob-2021", "locator": ""}],
}


def changed(**values) -> dict:
    return {**GESDA, **values}


def by_key(changes) -> dict:
    return {change.key: change for change in changes}


def test_only_the_keys_whose_values_differ_are_changed_and_timestamps_never():
    after = changed(status="completed", updated_at="2026-03-03T10:00:00Z", summary=None)
    assert changed_keys(GESDA, after) == ["status"]
    assert changed_keys(GESDA, GESDA) == []


def test_a_key_only_one_side_holds_counts_when_it_has_a_value():
    older = {key: value for key, value in GESDA.items() if key not in ("sdgs", "website")}
    assert changed_keys(older, GESDA) == ["website"]


def test_a_value_is_shown_as_curators_read_it():
    after = changed(status="completed", start_year=2019, parent="geneva-initiatives")
    names = {("catalogue.initiative", "geneva-initiatives"): "Geneva initiatives"}
    changes = by_key(record_changes(Initiative, GESDA, after, names))
    assert set(changes) == {"status", "start_year", "parent"}
    status = changes["status"]
    assert (status.label, status.kind, status.before, status.after) == (
        "status",
        "value",
        "active",
        "completed",
    )
    assert (changes["start_year"].before, changes["start_year"].after) == ("", "2019")
    assert changes["parent"].label == "parent initiative"
    assert changes["parent"].after == "Geneva initiatives"


def test_a_related_record_without_a_name_is_shown_by_its_slug():
    [change] = record_changes(Initiative, GESDA, changed(parent="deleted-initiative"))
    assert change.after == "deleted-initiative"


def test_a_partial_date_is_shown_as_precisely_as_it_is_known():
    before = {"slug": "mou", "signed_on": "2022-07", "in_force_on": None}
    after = {"slug": "mou", "signed_on": "2022-07-15", "in_force_on": "2023"}
    changes = by_key(record_changes(Agreement, before, after))
    assert (changes["signed_on"].before, changes["signed_on"].after) == (
        "July 2022",
        "15 July 2022",
    )
    assert changes["in_force_on"].after == "2023"


def test_many_to_many_values_are_added_and_removed_by_name():
    after = changed(themes=["health", "oceans"], sdgs=[14])
    names = {
        ("catalogue.theme", "science-policy-interface"): "Science-policy interface",
        ("catalogue.theme", "oceans"): "Oceans",
        ("catalogue.sdg", 14): "SDG 14: Life below water",
    }
    changes = by_key(record_changes(Initiative, GESDA, after, names))
    assert changes["themes"].kind == "list"
    assert changes["themes"].removed == ("Science-policy interface",)
    assert changes["themes"].added == ("health", "Oceans")
    assert changes["sdgs"].label == "SDGs"
    assert changes["sdgs"].added == ("SDG 14: Life below water",)


def test_link_rows_are_added_and_removed_with_their_own_values():
    after = changed(
        participations=[
            {"actor": "city-of-geneva", "role": "founder", "start_year": 2019, "end_year": None}
        ],
        citations=[{"source": "cidob-2021", "locator": "p. 4"}],
    )
    names = {
        ("catalogue.actor", "city-of-geneva"): "City of Geneva",
        ("catalogue.source", "cidob-2021"): "City-led science diplomacy",
    }
    changes = by_key(record_changes(Initiative, GESDA, after, names))
    participants = changes["participations"]
    assert participants.label == "participants"
    assert participants.removed == ("City of Geneva (role: lead)",)
    assert participants.added == ("City of Geneva (role: founder; from: 2019)",)
    sources = changes["citations"]
    assert sources.label == "sources"
    assert sources.removed == ("City-led science diplomacy",)
    assert sources.added == ("City-led science diplomacy (locator: p. 4)",)


def test_an_unchanged_row_is_neither_added_nor_removed_whatever_its_position():
    other = {"actor": "swiss-federal-council", "role": "lead", "start_year": None, "end_year": None}
    before = changed(participations=[*GESDA["participations"], other])
    after = changed(participations=[other])
    [change] = record_changes(Initiative, before, after)
    assert change.removed == ("city-of-geneva (role: lead)",)
    assert change.added == ()


def test_a_new_record_shows_every_value_it_holds():
    changes = by_key(record_changes(Initiative, None, GESDA))
    assert "publication" in changes and "created_at" not in changes
    assert "summary" not in changes  # empty
    assert changes["name"].after == "GESDA"
    assert changes["participations"].added == ("city-of-geneva (role: lead)",)


def test_a_long_text_changes_word_by_word():
    after = changed(description="A joint programme of Switzerland, Geneva and its canton.")
    [change] = record_changes(Initiative, GESDA, after)
    assert change.kind == "text"
    assert change.label == "description"
    assert str(change.text_diff) == (
        "A joint programme of <del>Switzerland</del><ins>Switzerland, Geneva</ins> and "
        "<del>Geneva.</del><ins>its canton.</ins>"
    )


def test_changes_separated_by_a_mere_space_read_as_one():
    assert word_diff("The first summary.", "A new summary.") == (
        "<del>The first</del><ins>A new</ins> summary."
    )
    assert word_diff("one two three", "one 2 three") == "one <del>two</del><ins>2</ins> three"


def test_a_word_diff_escapes_html():
    diff = word_diff("Use <b>bold</b> & more", "Use <i>italics</i> & more")
    assert "<b>" not in diff and "<i>" not in diff
    assert "<del>&lt;b&gt;bold&lt;/b&gt;</del><ins>&lt;i&gt;italics&lt;/i&gt;</ins>" in diff
    assert diff.endswith(" &amp; more")


def test_a_word_diff_shortens_long_unchanged_runs_around_the_changes():
    words = [f"w{number}" for number in range(100)]
    before = " ".join(words)
    after = " ".join(["w0-new", *words[1:50], "inserted", *words[50:]])
    diff = str(word_diff(before, after))
    assert diff.startswith("<del>w0</del><ins>w0-new</ins>")
    assert "<ins> inserted</ins>" in diff
    assert diff.count(ELISION) == 2
    kept = diff.split("<ins> inserted</ins>")[0].split(ELISION)[-1]
    assert kept.split() == words[50 - CONTEXT_WORDS : 50]
    assert "w25 " not in diff
    assert diff.rstrip(ELISION).split()[-1] == f"w{50 + CONTEXT_WORDS - 1}"


def test_labels_are_the_names_curators_and_readers_know():
    assert field_label(Actor, "city") == "city of headquarters"
    assert field_label(Agreement, "party_links") == "parties"
    assert field_label(City, "citations") == "sources"
    assert field_label(Initiative, "a_field_since_removed") == "a_field_since_removed"


def test_referenced_keys_name_what_the_changes_show_by_name_only():
    after = changed(
        themes=["oceans", "science-policy-interface"],
        sdgs=[14],
        parent="geneva-initiatives",
        participations=[
            *GESDA["participations"],
            {"actor": "swiss-federal-council", "role": "lead", "start_year": None},
        ],
    )
    assert referenced_keys(Initiative, GESDA, after) == {
        Theme: {"oceans"},
        SDG: {14},
        Initiative: {"geneva-initiatives"},
        Actor: {"swiss-federal-council"},
    }
    assert Source in referenced_keys(Initiative, None, GESDA)


def test_what_readers_are_told_of_each_version():
    def told(action, fields=(), publication="published"):
        return str(public_summary(Initiative, action, list(fields), publication))

    assert told("created") == "created"
    assert told("restored") == "restored"
    assert told("deleted") == "removed"
    assert told("changed", ["status", "website"]) == "updated: status, website"
    assert told("changed", ["participations", "citations"]) == "updated: participants, sources"
    assert told("changed", ["publication"]) == "published"
    assert told("changed", ["publication", "status"], "archived") == "archived"
    assert told("changed", ["last_verified"]) == "verified"
    assert told("changed", ["last_verified", "status"]) == "updated: status"
    assert public_summary(Initiative, "changed", ["kind"], "published") == PublicSummary(
        "updated", ("kind",)
    )

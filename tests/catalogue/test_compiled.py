"""A record page's compiled loading (catalogue.compiled.CompiledRecords) makes what the ORM
makes from the same `for_detail()` queryset: the same instances with the same values, the same
records selected with them, and the same relations cached, in the same order, at every depth."""

import pytest
from django.db import connection, models

from catalogue.compiled import TEXT_MARKER, CompiledQuery, CompiledRecords
from catalogue.models import Actor, Agreement, City, Course, Initiative, Publication
from synthetic.generator import generate_catalogue
from tests.factories import InitiativeFactory

KINDS = (Initiative, Actor, Course, Agreement, City)


def graph(value, seen: set[int] | None = None):
    """What an instance holds, as plain data: its values, and the instances selected or
    prefetched with it (their graphs in turn; one met again, as a back reference, by its key)."""
    seen = set() if seen is None else seen
    if isinstance(value, models.Model):
        if id(value) in seen:
            return ("again", type(value).__name__, value.pk)
        seen.add(id(value))
        held = {}
        for name, item in sorted(vars(value).items()):
            if name == "_state":
                held["selected"] = graph(item.fields_cache, seen)
            elif name == "_prefetched_objects_cache":
                held["prefetched"] = {
                    key: graph(list(cached._result_cache), seen)
                    for key, cached in sorted(item.items())
                }
            else:
                held[name] = graph(item, seen)
        return (type(value).__name__, held)
    if isinstance(value, list):
        return [graph(item, seen) for item in value]
    if isinstance(value, dict):
        return {key: graph(item, seen) for key, item in sorted(value.items())}
    return value


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.parametrize("model", KINDS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("staff", [False, True], ids=["reader", "staff"])
def test_compiled_records_are_the_orm_s(model, staff):
    generate_catalogue(initiatives=60, seed=3)
    queryset = model.objects.for_detail()
    if not staff:
        queryset = queryset.reachable()
    compiled = CompiledRecords(
        lambda slugs: queryset.filter(slug__in=slugs), "default", marker=TEXT_MARKER
    )
    slugs = list(model.objects.order_by("pk").values_list("slug", flat=True))
    assert model.objects.exclude(publication=Publication.PUBLISHED).exists()
    found = 0
    for slug in slugs:
        expected = queryset.filter(slug=slug).first()
        loaded = compiled.get(slug)
        assert graph(loaded) == graph(expected), slug
        found += loaded is not None
    assert found == queryset.count()
    assert compiled.get("no-such-record") is None


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Only PostgreSQL's statements are prepared."
)
def test_a_compiled_statement_is_planned_once_per_connection():
    """PostgreSQL plans a prepared statement afresh at each use while it finds that worth it;
    for a lookup by keys it never was, and the planning cost more than the lookup."""
    generate_catalogue(initiatives=10, seed=3)
    query = CompiledQuery(
        lambda ids: Initiative.objects.filter(pk__in=ids).values_list("slug"), "default"
    )
    ids = list(Initiative.objects.values_list("pk", flat=True))
    for count in range(1, 8):
        assert len(query.rows(ids[:count])) == count
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = %s",
            [
                'SELECT "catalogue_initiative"."slug" AS "slug" FROM "catalogue_initiative" '
                'WHERE "catalogue_initiative"."id" = ANY($1::int8[]) '
                'ORDER BY "catalogue_initiative"."name" ASC'
            ],
        )
        assert cursor.fetchall() == [(7, 0)]


@pytest.mark.usefixtures("empty_catalogue")
def test_keys_of_any_text_reach_the_database_as_they_are():
    """Keys go to PostgreSQL as one array written out: quotes, backslashes, commas and braces in
    a key are the key's own."""
    names = ['The "Quoted" Hub', "Back\\slash Lab", "Commas, braces {and} all", "NULL"]
    for name in names:
        InitiativeFactory(name=name)
    query = CompiledQuery(
        lambda keys: Initiative.objects.filter(name__in=keys).values_list("name"),
        "default",
        marker=TEXT_MARKER,
    )
    assert sorted(name for (name,) in query.rows([*names, "absent"])) == sorted(names)

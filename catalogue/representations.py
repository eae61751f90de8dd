"""Read representations: each record as the API shows it, built from rows.

A record's representation is its own fields as machine values (ISO dates, choice values), the
values derived from them (an actor's sector, a course's state), the records it points to and
its to-many relations as brief objects (key, name, API address and, for records, page address),
and its link rows (participations, providers, parties, citations) each with the brief of the
record it links to beside the row's own fields. Related records are shown only when published,
as on the site; a record it points to (a parent, a city) is named whatever its state.

Representations are loaded for a list of ids in a fixed number of queries: one for the records'
own rows and the records they point to, and one per relation, all sent together. Each query is
compiled by the ORM once per process (catalogue/compiled.py) and then only given the ids, and no
model instance is made: a page of fifty initiatives is nine queries and a few thousand dictionary
entries. The API's lists,
records and the answers to its writes all show this one representation; its serializers describe
the same fields for writing and for the schema.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from catalogue.addresses import MARKER, Addresses
from catalogue.compiled import TEXT_MARKER, CompiledQuery, run
from catalogue.models import (
    SDG,
    Actor,
    Agreement,
    AgreementParty,
    City,
    Country,
    Course,
    Initiative,
    PartyRole,
    Publication,
    Record,
    Source,
)
from catalogue.models.actors import SECTOR_OF_KIND, ActorKind
from catalogue.models.base import choice_order
from catalogue.models.courses import ProviderRole, course_state
from catalogue.models.initiatives import ParticipationRole


@cache
def api_route(model: type[models.Model]) -> str | None:
    """The name of `model`'s route in the API, None for a kind of object it has no route for
    (dimensions, drivers, audiences)."""
    name = f"api:{model._meta.model_name}-detail"
    try:
        reverse(name, args=[MARKER])
    except NoReverseMatch:
        return None
    return name


# How each kind of related object is named in a URL and shown briefly.
LOOKUP_FIELDS = {Country: "code", SDG: "number"}
TITLE_FIELDS = {Source: "title"}


def lookup_field(model: type[models.Model]) -> str:
    return LOOKUP_FIELDS.get(model, "slug")


def title_field(model: type[models.Model]) -> str:
    return TITLE_FIELDS.get(model, "name")


def brief(model: type[models.Model], key, title: str, addresses: Addresses) -> dict:
    """A related object in a few words, with where to find it."""
    route = api_route(model)
    data = {
        lookup_field(model): key,
        "name": title,
        "url": addresses.of(route, key) if route else None,
    }
    if issubclass(model, Record):
        data["html_url"] = addresses.of(page_route(model), key)
    return data


def page_route(model: type[Record]) -> str:
    return f"catalogue:{model._meta.model_name}-detail"


def machine_value(value):
    """A field's value as JSON shows it: dates in ISO 8601, times in UTC with a Z."""
    if isinstance(value, datetime.datetime):
        text = timezone.localtime(value).isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def ordering_through(prefix: str, model: type[models.Model]) -> list[str]:
    """`model`'s default order, read through the relation `prefix`, with its id to break ties."""
    ordering = []
    for name in [*model._meta.ordering, "pk"]:
        descending = name.startswith("-")
        ordering.append(f"{'-' if descending else ''}{prefix}__{name.lstrip('-')}")
    return ordering


@dataclass(frozen=True)
class Links:
    """Link rows of a record (`relation`), each shown as the brief of the record at `side` with
    the row's own `fields`, in `ordering`; only rows whose `side` is published, when `side` is a
    record."""

    relation: str
    side: str
    fields: tuple[str, ...] = ()
    ordering: tuple = ("pk",)


CITATIONS = Links("citations", "source", ("locator",))


RECORD_FIELDS = (
    "slug",
    "name",
    "acronym",
    "alternative_names",
    "summary",
    "description",
    "website",
    "wikidata_id",
    "publication",
    "last_verified",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Representation:
    """What a kind of record shows besides what every record shows (`RECORD_FIELDS`), in order:
    each name is one of its own fields, a record it points to (a foreign key), a to-many relation
    (a many-to-many field), one of its `links`, or one of its `derived` values, computed from
    its own fields (and `extra` rows: see `extra_queries`)."""

    model: type[Record]
    fields: tuple[str, ...]
    links: dict[str, Links] = field(default_factory=dict)
    derived: dict[str, Callable[[dict], object]] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        """The representation's keys, in order."""
        return ("url", "html_url", *RECORD_FIELDS, *self.fields)

    def kind_of(self, name: str) -> str:
        """How `name` is loaded: "derived", "links", "many", "one" (a foreign key) or "own"."""
        if name in self.derived:
            return "derived"
        if name in self.links:
            return "links"
        model_field = self.model._meta.get_field(name)
        if model_field.many_to_many:
            return "many"
        return "one" if isinstance(model_field, models.ForeignKey) else "own"

    def own_columns(self) -> list[str]:
        """The columns of the records' own query: their fields, and each record pointed to by
        its key and title."""
        columns = ["pk", *RECORD_FIELDS]
        for name in self.fields:
            kind = self.kind_of(name)
            if kind == "one":
                model = self.model._meta.get_field(name).related_model
                columns += [f"{name}__{lookup_field(model)}", f"{name}__{title_field(model)}"]
            elif kind == "own":
                columns.append(name)
        return columns


class Loader:
    """Loads representations of one kind through its compiled queries."""

    def __init__(self, representation: Representation, using: str):
        self.representation = representation
        self.using = using
        model = representation.model
        self.columns = representation.own_columns()
        self.own = CompiledQuery(
            lambda ids: model._default_manager.filter(pk__in=ids).values_list(*self.columns),
            using,
        )
        self.related: dict[str, tuple[type[models.Model], CompiledQuery]] = {}
        for name in representation.fields:
            kind = representation.kind_of(name)
            if kind == "many":
                self.related[name] = self.many_query(name, using)
            elif kind == "links":
                self.related[name] = self.links_query(representation.links[name], using)
        self.extra = {
            name: CompiledQuery(build, using) for name, build in extra_queries(model).items()
        }
        self.by_slug = CompiledQuery(
            lambda slugs: model._default_manager.filter(slug__in=slugs).values_list(
                "pk", "publication", "updated_at", "lock_version"
            ),
            using,
            marker=TEXT_MARKER,
        )

    def many_query(self, name: str, using: str) -> tuple[type[models.Model], CompiledQuery]:
        field = self.representation.model._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        related = field.related_model
        conditions = {}
        if issubclass(related, Record):
            conditions[f"{target}__publication"] = Publication.PUBLISHED

        def build(ids):
            return (
                through._default_manager.filter(**{f"{source}__in": ids}, **conditions)
                .order_by(*ordering_through(target, related))
                .values_list(
                    f"{source}_id",
                    f"{target}__{lookup_field(related)}",
                    f"{target}__{title_field(related)}",
                )
            )

        return related, CompiledQuery(build, using)

    def links_query(self, links: Links, using: str) -> tuple[type[models.Model], CompiledQuery]:
        relation = self.representation.model._meta.get_field(links.relation)
        link_model, owner = relation.related_model, relation.field.name
        related = link_model._meta.get_field(links.side).related_model
        conditions = {}
        if issubclass(related, Record):
            conditions[f"{links.side}__publication"] = Publication.PUBLISHED

        def build(ids):
            return (
                link_model._default_manager.filter(**{f"{owner}__in": ids}, **conditions)
                .order_by(*links.ordering, "pk")
                .values_list(
                    f"{owner}_id",
                    f"{links.side}__{lookup_field(related)}",
                    f"{links.side}__{title_field(related)}",
                    *links.fields,
                )
            )

        return related, CompiledQuery(build, using)

    def load(self, ids: list[int], origin: str) -> list[dict]:
        """The representations of the records with `ids` that exist, in the order of `ids`;
        their addresses start with `origin` (scheme and host)."""
        representation = self.representation
        model = representation.model
        addresses = Addresses(origin)
        page, api = page_route(model), api_route(model)
        kinds = {name: representation.kind_of(name) for name in representation.fields}
        own_rows, *related_rows = run(
            self.using,
            [(query, ids) for query in [self.own, *self.extra.values()]]
            + [(query, ids) for _related, query in self.related.values()],
        )
        extra_rows = dict(zip(self.extra, related_rows[: len(self.extra)], strict=True))
        related_rows = dict(zip(self.related, related_rows[len(self.extra) :], strict=True))
        records, inputs = {}, {}
        for row in own_rows:
            values = dict(zip(self.columns, row, strict=True))
            slug = values["slug"]
            record = {"url": addresses.of(api, slug), "html_url": addresses.of(page, slug)}
            record.update((name, machine_value(values[name])) for name in RECORD_FIELDS)
            for name, kind in kinds.items():
                if kind == "own":
                    record[name] = machine_value(values[name])
                elif kind == "one":
                    target = model._meta.get_field(name).related_model
                    key = values[f"{name}__{lookup_field(target)}"]
                    title = values[f"{name}__{title_field(target)}"]
                    record[name] = None if key is None else brief(target, key, title, addresses)
                elif kind in ("many", "links"):
                    record[name] = []
            records[values["pk"]] = record
            inputs[values["pk"]] = values
        for name, rows in extra_rows.items():
            for values in inputs.values():
                values[name] = []
            for owner, *row in rows:
                inputs[owner][name].append(tuple(row))
        for pk, record in records.items():
            for name, derive in representation.derived.items():
                record[name] = derive(inputs[pk])
        for name, (related, _query) in self.related.items():
            links = representation.links.get(name)
            for owner, key, title, *fields in related_rows[name]:
                shown = brief(related, key, title, addresses)
                if links is not None:
                    shown = {links.side: shown}
                    shown.update(
                        (field_name, machine_value(value))
                        for field_name, value in zip(links.fields, fields, strict=True)
                    )
                records[owner][name].append(shown)
        return [
            {key: records[pk][key] for key in representation.keys} for pk in ids if pk in records
        ]


def extra_queries(model) -> dict[str, Callable[[list[int]], models.QuerySet]]:
    """Rows a kind's derived values need besides its own: every party of an agreement, published
    or not (bilateral, multilateral and city-to-state describe the agreement itself)."""
    if model is Agreement:
        return {
            "all_parties": lambda ids: (
                AgreementParty.objects.filter(agreement__in=ids)
                .order_by("pk")
                .values_list("agreement_id", "role", "actor__kind")
            )
        }
    return {}


def bound_kinds(values: dict) -> list[str]:
    """The kinds of the actors bound by an agreement, one per party."""
    return [kind for role, kind in values["all_parties"] if role == PartyRole.PARTY]


REPRESENTATIONS = {
    City: Representation(
        City,
        fields=(
            "country",
            "latitude",
            "longitude",
            "geonames_id",
            "strategy",
            "strategy_since",
            "approach",
            "citations",
        ),
        links={"citations": CITATIONS},
    ),
    Actor: Representation(
        Actor,
        fields=(
            "kind",
            "sector",
            "country",
            "city",
            "parent",
            "founded",
            "ror_id",
            "citations",
        ),
        links={"citations": CITATIONS},
        derived={"sector": lambda values: SECTOR_OF_KIND[ActorKind(values["kind"])].value},
    ),
    Initiative: Representation(
        Initiative,
        fields=(
            "kind",
            "status",
            "status_as_of",
            "level",
            "start_year",
            "end_year",
            "parent",
            "cities",
            "countries",
            "themes",
            "sdgs",
            "dimensions",
            "drivers",
            "participations",
            "citations",
        ),
        links={
            "participations": Links(
                "participations",
                "actor",
                ("role", "start_year", "end_year"),
                (choice_order("role", ParticipationRole), "actor__name"),
            ),
            "citations": CITATIONS,
        },
    ),
    Course: Representation(
        Course,
        fields=(
            "kind",
            "edition",
            "format",
            "city",
            "starts_on",
            "ends_on",
            "application_deadline",
            "state",
            "audiences",
            "language",
            "is_free",
            "fee",
            "initiative",
            "provisions",
            "citations",
        ),
        links={
            "provisions": Links(
                "provisions",
                "actor",
                ("role",),
                (choice_order("role", ProviderRole), "actor__name"),
            ),
            "citations": CITATIONS,
        },
        derived={
            "state": lambda values: course_state(
                values["starts_on"],
                values["ends_on"],
                values["application_deadline"],
                timezone.localdate(),
            ),
        },
    ),
    Agreement: Representation(
        Agreement,
        fields=(
            "kind",
            "status",
            "status_as_of",
            "signed_on",
            "signed_on_precision",
            "in_force_on",
            "in_force_on_precision",
            "ended_on",
            "ended_on_precision",
            "is_bilateral",
            "is_multilateral",
            "is_city_to_state",
            "parties",
            "cities",
            "initiatives",
            "themes",
            "citations",
        ),
        links={
            "parties": Links(
                "party_links",
                "actor",
                (
                    "role",
                    "signed_on",
                    "signed_on_precision",
                    "joined_on",
                    "joined_on_precision",
                    "withdrew_on",
                    "withdrew_on_precision",
                ),
                (choice_order("role", PartyRole), "actor__name"),
            ),
            "citations": CITATIONS,
        },
        derived={
            "is_bilateral": lambda values: len(bound_kinds(values)) == 2,
            "is_multilateral": lambda values: len(bound_kinds(values)) > 2,
            "is_city_to_state": lambda values: (
                {
                    ActorKind.LOCAL_GOVERNMENT,
                    ActorKind.NATIONAL_GOVERNMENT,
                }
                <= set(bound_kinds(values))
            ),
        },
    ),
}


_loaders: dict[tuple[str, type], Loader] = {}


def loader_of(model: type[Record], using: str) -> Loader:
    loader = _loaders.get((using, model))
    if loader is None:
        loader = _loaders[(using, model)] = Loader(REPRESENTATIONS[model], using)
    return loader


def representations(model: type[Record], ids: list[int], origin: str, *, using: str) -> list[dict]:
    """The representations of the records of `model` with `ids`, in order, their addresses
    starting with `origin` (the scheme and host of the request)."""
    return loader_of(model, using).load(ids, origin)


def find(model: type[Record], slug: str, *, using: str) -> tuple | None:
    """(id, publication, when it was last saved, how many saves) of the record of `model` with
    `slug`, or None."""
    found = loader_of(model, using).by_slug.rows([slug])
    return found[0] if found else None

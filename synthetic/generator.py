"""A synthetic catalogue at scale, to measure Sciplo with many records.

`generate_catalogue(initiatives=N, seed=S)` fills an empty catalogue with N initiatives and, in
proportion, actors, cities, courses, agreements and the sources they cite (`CatalogueSize`). Names,
summaries and descriptions are assembled from a domain vocabulary (vocabulary.yaml); popularity
follows Zipf's law, so a few themes, cities, actors and sources are named by many records and most
by few, as in a real catalogue.

Everything is drawn from one `random.Random(seed)` in a fixed order, so the same N and seed give
the same catalogue on any engine and with any batch size, and another seed another catalogue.

Rows are written in bulk under explicit primary keys, as plain tuples (see `BatchWriter`), in one
transaction. That skips `full_clean()` and sends no signals, which is the point: a synthetic
record was never curated, so no history `Version` is kept for it, and every value is drawn within
the models' rules instead (tests/catalogue/test_generator.py validates a sample of each kind).
Without signals the stored search documents are built once at the end, and PostgreSQL's id
sequences are moved past the explicit ids. Asked to (`drop_indexes`, for large catalogues),
PostgreSQL's plain indexes and foreign keys are dropped and made again after the rows are in
(`indexes_made_afterwards`).
"""

import bisect
import datetime
import functools
import itertools
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Generic, TypeVar

import yaml
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils.text import slugify

from catalogue import revision
from catalogue.dumps import catalogue_counts, counted_text
from catalogue.models import (
    SDG,
    Actor,
    ActorCitation,
    ActorKind,
    Agreement,
    AgreementCitation,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    Approach,
    Audience,
    City,
    CityCitation,
    Country,
    Course,
    CourseCitation,
    CourseFormat,
    CourseKind,
    CourseProvider,
    Dimension,
    Driver,
    Initiative,
    InitiativeCitation,
    InitiativeKind,
    InitiativeStatus,
    Level,
    Participation,
    ParticipationRole,
    PartyRole,
    ProviderRole,
    Publication,
    Source,
    SourceKind,
    Strategy,
    Theme,
)
from catalogue.partial_dates import DatePrecision
from catalogue.search import search_model, searched_models, terms_model, update_all_search_vectors

T = TypeVar("T")
Progress = Callable[[str], None]

FIRST_YEAR = 1990
LAST_YEAR = 2026
# A fixed "today" for verification and timestamps: `now()` would make two runs differ.
GENERATED_ON = datetime.date(2026, 6, 30)
DEFAULT_BATCH_SIZE = 5000
# The share of each fixed choice, in percent or as relative weights.
PUBLICATION_WEIGHTS = {
    Publication.PUBLISHED: 92,
    Publication.DRAFT: 4,
    Publication.IN_REVIEW: 2,
    Publication.ARCHIVED: 2,
}
INITIATIVE_KIND_WEIGHTS = {
    InitiativeKind.PROGRAMME: 30,
    InitiativeKind.NETWORK: 18,
    InitiativeKind.HUB: 12,
    InitiativeKind.RESEARCH_CENTRE: 12,
    InitiativeKind.FUND: 8,
    InitiativeKind.FACILITY: 8,
    InitiativeKind.OFFICE: 7,
    InitiativeKind.CAMPAIGN: 5,
}
INITIATIVE_STATUS_WEIGHTS = {
    InitiativeStatus.ACTIVE: 58,
    InitiativeStatus.COMPLETED: 25,
    InitiativeStatus.PLANNED: 8,
    InitiativeStatus.SUSPENDED: 9,
}
LEVEL_WEIGHTS = {Level.NATIONAL: 35, Level.REGIONAL: 25, Level.GLOBAL: 20, Level.CITY: 20}
ACTOR_KIND_WEIGHTS = {
    ActorKind.RESEARCH: 30,
    ActorKind.NATIONAL_GOVERNMENT: 12,
    ActorKind.NON_PROFIT: 12,
    ActorKind.LOCAL_GOVERNMENT: 10,
    ActorKind.NETWORK: 10,
    ActorKind.COMPANY: 10,
    ActorKind.ACADEMY: 8,
    ActorKind.INTERGOVERNMENTAL: 5,
    ActorKind.PERSON: 3,
}
PARTICIPATION_ROLE_WEIGHTS = {
    ParticipationRole.PARTNER: 40,
    ParticipationRole.MEMBER: 25,
    ParticipationRole.FUNDER: 15,
    ParticipationRole.HOST: 10,
    ParticipationRole.FOUNDER: 10,
}
COURSE_KIND_WEIGHTS = {
    CourseKind.COURSE: 35,
    CourseKind.WORKSHOP: 25,
    CourseKind.SUMMER_SCHOOL: 20,
    CourseKind.FELLOWSHIP: 10,
    CourseKind.LECTURE_SERIES: 10,
}
COURSE_FORMAT_WEIGHTS = {
    CourseFormat.IN_PERSON: 50,
    CourseFormat.ONLINE: 25,
    CourseFormat.HYBRID: 20,
    "": 5,
}
PROVIDER_ROLE_WEIGHTS = {ProviderRole.PARTNER: 50, ProviderRole.HOST: 30, ProviderRole.FUNDER: 20}
FREE_OF_CHARGE = {True: 35, False: 35, None: 30}
LANGUAGE_WEIGHTS = {"en": 70, "fr": 8, "es": 8, "pt": 4, "de": 3, "ar": 3, "zh-hans": 2, "ru": 2}
AGREEMENT_KIND_WEIGHTS = {
    AgreementKind.MOU: 35,
    AgreementKind.COOPERATION: 25,
    AgreementKind.JOINT_DECLARATION: 10,
    AgreementKind.TREATY: 8,
    AgreementKind.DATA_SHARING: 8,
    AgreementKind.HOST: 5,
    AgreementKind.ASSOCIATION: 4,
    AgreementKind.OTHER: 5,
}
AGREEMENT_STATUS_WEIGHTS = {
    AgreementStatus.IN_FORCE: 45,
    AgreementStatus.SIGNED: 20,
    AgreementStatus.ENDED: 15,
    AgreementStatus.UNDER_NEGOTIATION: 10,
    AgreementStatus.SUSPENDED: 10,
}
PARTY_ROLE_WEIGHTS = {
    PartyRole.PARTY: 85,
    PartyRole.SIGNATORY: 5,
    PartyRole.OBSERVER: 5,
    PartyRole.DEPOSITARY: 5,
}
SOURCE_KIND_WEIGHTS = {
    SourceKind.REPORT: 35,
    SourceKind.ARTICLE: 30,
    SourceKind.WEB_PAGE: 25,
    SourceKind.DATASET: 5,
    SourceKind.LEGAL_TEXT: 5,
}
PRECISION_WEIGHTS = {DatePrecision.DAY: 50, DatePrecision.MONTH: 30, DatePrecision.YEAR: 20}
STRATEGY_WEIGHTS = {
    Strategy.NONE_KNOWN: 60,
    Strategy.INDIVIDUAL_INITIATIVES: 30,
    Strategy.COMPREHENSIVE: 10,
}
APPROACH_WEIGHTS = {
    "": 50,
    Approach.MULTI_LEVEL: 15,
    Approach.LOCAL_CAPITAL: 15,
    Approach.SCIENCE_POLICY_NEXUS: 10,
    Approach.CLIMATE: 10,
}
# How many of each relation a record has: {count: weight}.
INITIATIVE_CITIES = {1: 55, 2: 30, 3: 15}
INITIATIVE_THEMES = {1: 40, 2: 40, 3: 20}
INITIATIVE_SDGS = {1: 25, 2: 35, 3: 25, 4: 15}
INITIATIVE_DIMENSIONS = {1: 70, 2: 30}
INITIATIVE_DRIVERS = {1: 80, 2: 20}
PARTICIPATIONS = {2: 25, 3: 30, 4: 20, 5: 15, 6: 10}
EXTRA_COUNTRIES = {0: 80, 1: 20}
COURSE_PROVIDERS = {1: 50, 2: 35, 3: 15}
COURSE_AUDIENCES = {1: 40, 2: 40, 3: 20}
AGREEMENT_PARTIES = {2: 50, 3: 15, 4: 10, 5: 10, 6: 8, 8: 7}
AGREEMENT_CITIES = {0: 50, 1: 35, 2: 15}
AGREEMENT_INITIATIVES = {0: 40, 1: 40, 2: 20}
AGREEMENT_THEMES = {1: 70, 2: 30}
CITATIONS = {0: 10, 1: 70, 2: 20}
# The SDGs science diplomacy names most, most named first (partnerships, climate, industry …).
SDG_POPULARITY = (17, 13, 9, 14, 3, 4, 7, 11, 15, 6, 2, 12, 5, 8, 10, 16, 1)

# The domain vocabulary, a data file of words and patterns.
VOCABULARY = yaml.safe_load((Path(__file__).parent / "vocabulary.yaml").read_text())
REGIONS = tuple(VOCABULARY["regions"])
SUBJECTS = tuple(VOCABULARY["subjects"])
FOCUSES = tuple(VOCABULARY["focuses"])
INITIATIVE_NOUNS = {
    InitiativeKind(kind): tuple(nouns) for kind, nouns in VOCABULARY["initiative_nouns"].items()
}
CHALLENGES = tuple(VOCABULARY["challenges"])
FORUMS = tuple(VOCABULARY["forums"])
PEOPLE = tuple(VOCABULARY["people"])
INITIATIVE_SUMMARIES = tuple(VOCABULARY["initiative_summaries"])
DESCRIPTION_SENTENCES = tuple(VOCABULARY["description_sentences"])
DESCRIPTION_LENGTH = 4  # sentences: about sixty words
CITY_STEMS = tuple(VOCABULARY["city_stems"])
CITY_LINKS = tuple(VOCABULARY["city_links"])
CITY_ENDINGS = tuple(VOCABULARY["city_endings"])
CITY_PREFIXES = VOCABULARY["city_prefixes"]
CITY_QUALIFIERS = tuple(VOCABULARY["city_qualifiers"])
SURNAMES = tuple(VOCABULARY["surnames"])
GIVEN_NAMES = tuple(VOCABULARY["given_names"])
FIELDS = tuple(VOCABULARY["fields"])
COMPANY_WORDS = tuple(VOCABULARY["company_words"])
ACTOR_NAMES = {ActorKind(kind): tuple(names) for kind, names in VOCABULARY["actor_names"].items()}
ACTOR_SUMMARIES = {ActorKind(kind): text for kind, text in VOCABULARY["actor_summaries"].items()}
ACTOR_SUMMARY = VOCABULARY["actor_summary"]
COURSE_SUMMARY = VOCABULARY["course_summary"]
AGREEMENT_NAMES = tuple(VOCABULARY["agreement_names"])
AGREEMENT_SUMMARY = VOCABULARY["agreement_summary"]
SOURCE_TITLES = tuple(VOCABULARY["source_titles"])
LOCATORS = tuple(VOCABULARY["locators"])
ROR_CHARACTERS = "0123456789abcdefghjkmnpqrstvwxyz"
SMALL_WORDS = {"of", "for", "and", "the", "on", "in"}


class GenerationRefused(Exception):
    """The database cannot take a synthetic catalogue: it lacks reference data or already holds
    a catalogue."""


@dataclass(frozen=True)
class CatalogueSize:
    """How many of each kind of record a catalogue of `initiatives` initiatives holds."""

    initiatives: int
    actors: int
    cities: int
    courses: int
    agreements: int
    sources: int

    @classmethod
    def for_initiatives(cls, initiatives: int) -> "CatalogueSize":
        return cls(
            initiatives=initiatives,
            # At least as many actors as the largest participation or party list needs.
            actors=max(10, initiatives // 5),
            cities=max(200, initiatives // 20),
            courses=initiatives // 10,
            agreements=initiatives // 10,
            sources=min(400, 100 + initiatives // 500),
        )


class Distribution(Generic[T]):
    """Values drawn with fixed weights; `zipf` makes the first values the most popular."""

    def __init__(self, values: Sequence[T], weights: Sequence[float]):
        self.values = list(values)
        self.cum_weights = list(itertools.accumulate(weights))
        self.total = self.cum_weights[-1]
        self.last = len(self.values) - 1

    @classmethod
    def of(cls, weights: dict[T, float]) -> "Distribution[T]":
        return cls(list(weights), list(weights.values()))

    @classmethod
    def zipf(cls, values: Sequence[T], exponent: float = 1.0) -> "Distribution[T]":
        return cls(values, [1 / rank**exponent for rank in range(1, len(values) + 1)])

    def draw(self, rng: random.Random) -> T:
        # What `rng.choices(values, cum_weights=...)` does, without its per-call set-up, which
        # costs more than the draw over the million draws of a large catalogue.
        return self.values[
            min(bisect.bisect(self.cum_weights, rng.random() * self.total), self.last)
        ]

    def draw_distinct(self, rng: random.Random, count: int) -> list[T]:
        """`count` different values (fewer if there are fewer), in the order drawn."""
        count = min(count, len(self.values))
        chosen: list[T] = []
        while len(chosen) < count:
            value = self.draw(rng)
            if value not in chosen:
                chosen.append(value)
        return chosen


def distribution(weights: dict[T, float]) -> Distribution[T]:
    """The distribution of `weights`, one of the module's constants, built once."""
    return _distributions(tuple(weights.items()))


@functools.cache
def _distributions(items: tuple[tuple[T, float], ...]) -> Distribution[T]:
    return Distribution.of(dict(items))


@dataclass(frozen=True)
class ReferenceData:
    """The reference rows records point at, by primary key in a fixed order."""

    countries: dict[str, str]  # code → name
    sdgs: list[int]
    themes: list[int]
    dimensions: list[int]
    drivers: list[int]
    audiences: list[int]

    @classmethod
    def load(cls) -> "ReferenceData":
        reference = cls(
            countries=dict(Country.objects.order_by("code").values_list("code", "name")),
            sdgs=list(SDG.objects.order_by("number").values_list("number", flat=True)),
            themes=list(Theme.objects.order_by("pk").values_list("pk", flat=True)),
            dimensions=list(Dimension.objects.order_by("pk").values_list("pk", flat=True)),
            drivers=list(Driver.objects.order_by("pk").values_list("pk", flat=True)),
            audiences=list(Audience.objects.order_by("pk").values_list("pk", flat=True)),
        )
        missing = [name for name, rows in vars(reference).items() if not rows]
        if missing:
            raise GenerationRefused(
                f"The reference data is missing (no {', '.join(missing)}): run "
                "manage.py load_reference_data first."
            )
        return reference


class Names:
    """Hands out names and slugs never handed out before."""

    def __init__(self):
        self.names: set[str] = set()
        self.slugs: set[str] = set()

    def name(self, rng: random.Random, draw: Callable[..., str], *arguments) -> str:
        """A fresh name from `draw(*arguments)`, qualified if a few draws give only names
        already used."""
        for _ in range(8):
            name = draw(*arguments)
            if name not in self.names:
                break
        else:
            name = f"{name} {rng.choice(CITY_QUALIFIERS)}"
            number = 2
            while name in self.names:
                name = f"{draw(*arguments)} {number}"
                number += 1
        self.names.add(name)
        return name

    def slug(self, name: str) -> str:
        base = slugify(name)[:90].strip("-")
        slug, number = base, 2
        while slug in self.slugs:
            slug = f"{base}-{number}"
            number += 1
        self.slugs.add(slug)
        return slug


@dataclass(frozen=True)
class Table:
    """A table and the fields a generated row gives, in order."""

    model: type[models.Model]
    fields: tuple[str, ...]

    @classmethod
    def of_records(cls, model: type[models.Model]) -> "Table":
        """The table of `model`'s records, with every column."""
        return cls(model, tuple(field.name for field in model._meta.concrete_fields))

    @classmethod
    def through(cls, model: type[models.Model], relation: str) -> "Table":
        """The table of the many-to-many field `relation` of `model`."""
        field = model._meta.get_field(relation)
        return cls(
            field.remote_field.through, (field.m2m_field_name(), field.m2m_reverse_field_name())
        )

    @functools.cached_property
    def model_fields(self) -> tuple[models.Field, ...]:
        return tuple(map(self.model._meta.get_field, self.fields))

    def row(self, record: models.Model) -> tuple:
        """The values of `record` as the database stores them."""
        return tuple(
            field.get_db_prep_save(getattr(record, field.attname), connection)
            for field in self.model_fields
        )

    def columns(self) -> str:
        quote = connection.ops.quote_name
        columns = [quote(field.column) for field in self.model_fields]
        return f"{quote(self.model._meta.db_table)} ({', '.join(columns)})"

    def insert_sql(self) -> str:
        return f"INSERT INTO {self.columns()} VALUES ({', '.join(['%s'] * len(self.fields))})"

    def copy_sql(self) -> str:
        return f"COPY {self.columns()} FROM STDIN"


@functools.cache
def records_table(model: type[models.Model]) -> Table:
    return Table.of_records(model)


@functools.cache
def through_table(model: type[models.Model], relation: str) -> Table:
    return Table.through(model, relation)


PARTICIPATIONS_TABLE = Table(Participation, ("initiative", "actor", "role", "start_year"))
PROVIDERS_TABLE = Table(CourseProvider, ("course", "actor", "role"))


class BatchWriter:
    """Buffers rows by table and writes a buffer once it holds `batch_size` rows, with one COPY
    on PostgreSQL and one `executemany` elsewhere.

    Rows are plain tuples of database values: records are drawn as model instances, for
    readable drawing code, and turned into rows as they are added. `bulk_create` would compile
    every value of every instance into SQL, which cost more than the writing itself; link rows,
    nine in ten of all rows, never become instances at all.
    """

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.rows: dict[Table, list[tuple]] = {}
        self.counts: dict[type[models.Model], int] = {}

    def add(self, *records: models.Model) -> None:
        for record in records:
            table = records_table(type(record))
            self.write(table, [table.row(record)])

    def write(self, table: Table, rows: list[tuple]) -> None:
        buffer = self.rows.setdefault(table, [])
        buffer.extend(rows)
        if len(buffer) >= self.batch_size:
            self.flush(table)

    def flush(self, table: Table) -> None:
        rows = self.rows.pop(table, [])
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: PostgreSQL takes rows several times faster than as INSERTs.
                with cursor.cursor.copy(table.copy_sql()) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(table.insert_sql(), rows)
        self.counts[table.model] = self.counts.get(table.model, 0) + len(rows)

    def flush_all(self) -> None:
        for table in list(self.rows):
            self.flush(table)


PEOPLE_FIELDS = ("people", "people2", "people3")
SUBJECT_FIELDS = ("subject", "subject2")


@functools.cache
def template_fields(template: str) -> frozenset[str]:
    """The names of the fields a format template fills."""
    return frozenset(
        field for _text, field, _spec, _conversion in Formatter().parse(template) if field
    )


def lower_words(title: str) -> str:
    """A title in running text: "Ocean Science" → "ocean science", acronyms kept."""
    return " ".join(word if word.isupper() else word.lower() for word in title.split())


def acronym_of(name: str) -> str:
    return "".join(
        word[0] for word in name.split() if word not in SMALL_WORDS and word[0].isupper()
    )


def web_address(slug: str) -> str:
    """An address under example.org, reserved for examples, whose host name stays short."""
    return f"https://{slug[:40].strip('-')}.example.org/"


def random_date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def truncated(day: datetime.date, precision: DatePrecision) -> datetime.date:
    """The first day of the period `day` falls in at `precision`, as partial dates store it."""
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    return day


class Generator:
    """Draws a catalogue of `size` record by record and hands the rows to `writer`."""

    def __init__(
        self,
        *,
        rng: random.Random,
        size: CatalogueSize,
        reference: ReferenceData,
        writer: BatchWriter,
        progress: Progress,
    ):
        self.rng = rng
        self.size = size
        self.reference = reference
        self.writer = writer
        self.progress = progress
        self.started = time.monotonic()
        self.names = Names()
        self.publication = distribution(PUBLICATION_WEIGHTS)
        self.themes = Distribution.zipf(reference.themes)
        self.sdgs = Distribution.zipf([n for n in SDG_POPULARITY if n in reference.sdgs])
        self.dimensions = Distribution.zipf(reference.dimensions, 0.5)
        self.drivers = Distribution.zipf(reference.drivers, 0.5)
        self.audiences = Distribution.zipf(reference.audiences, 0.7)
        countries = list(reference.countries)
        rng.shuffle(countries)
        self.countries = Distribution.zipf(countries)
        self.subjects = Distribution.zipf(SUBJECTS, 0.6)
        self.sources = Distribution.zipf(range(1, size.sources + 1))
        # Records are drawn independently of their ids, so the lowest ids can be the popular ones.
        self.cities = Distribution.zipf(range(1, size.cities + 1))
        self.actors = Distribution.zipf(range(1, size.actors + 1), 0.8)
        self.city_countries: list[str] = []
        self.city_names: list[str] = []

    def run(self) -> None:
        self.generate_sources()
        self.generate_cities()
        self.generate_actors()
        self.generate_initiatives()
        self.generate_courses()
        self.generate_agreements()
        self.writer.flush_all()

    def report(self, kind: str, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        self.progress(f"{kind}: {done:,} of {total:,} ({elapsed:.1f} s)")

    def numbers(self, kind: str, total: int, reports: int = 1) -> Iterator[int]:
        """The numbers 1 to `total`, reporting progress `reports` times on the way."""
        step = max(1, total // reports)
        for number in range(1, total + 1):
            yield number
            if number % step == 0 or number == total:
                self.report(kind, number, total)

    # Pieces shared by every kind of record

    def count(self, weights: dict[int, float]) -> int:
        return distribution(weights).draw(self.rng)

    def text(self, template: str, **values: str) -> str:
        """`template` filled with `values` and, for its other fields, with words drawn from the
        vocabulary: only those the template names, as drawing costs more than the filling."""
        rng = self.rng
        wanted = template_fields(template)
        fills = {}
        if not wanted.isdisjoint(PEOPLE_FIELDS):
            fills.update(zip(PEOPLE_FIELDS, rng.sample(PEOPLE, len(PEOPLE_FIELDS)), strict=True))
        if not wanted.isdisjoint(SUBJECT_FIELDS):
            subjects = self.subjects.draw_distinct(rng, len(SUBJECT_FIELDS))
            fills.update(zip(SUBJECT_FIELDS, map(lower_words, subjects), strict=True))
        for field, words in (("challenge", CHALLENGES), ("forum", FORUMS), ("region2", REGIONS)):
            if field in wanted:
                fills[field] = rng.choice(words)
        return template.format_map({**fills, **values})

    def description(self, **values: str) -> str:
        sentences = self.rng.sample(DESCRIPTION_SENTENCES, DESCRIPTION_LENGTH)
        return " ".join(self.text(sentence, **values) for sentence in sentences)

    def record_fields(self, name: str) -> dict:
        """The fields every record has, but for its summary and description."""
        rng = self.rng
        slug = self.names.slug(name)
        created_at = datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=rng.randint(0, 7 * 365 * 86400)
        )
        verified = rng.random()
        return {
            "slug": slug,
            "name": name,
            "website": web_address(slug) if rng.random() < 0.7 else "",
            "publication": self.publication.draw(rng),
            "created_at": created_at,
            "updated_at": created_at + datetime.timedelta(seconds=rng.randint(0, 400 * 86400)),
            "last_verified": None
            if verified < 0.3
            else random_date(rng, datetime.date(2022, 1, 1), GENERATED_ON),
            "wikidata_id": f"Q{rng.randint(1000, 99_999_999)}" if rng.random() < 0.2 else "",
        }

    def relate(self, model: type[models.Model], relation: str, record_id: int, ids: list) -> None:
        """Relates the record `record_id` to `ids` through its many-to-many field `relation`."""
        self.writer.write(through_table(model, relation), [(record_id, pk) for pk in ids])

    def cite(self, model: type[models.Model], record_id: int) -> None:
        """Has the record `record_id` cite a few sources; `model` is its citation table."""
        rng = self.rng
        self.writer.write(
            Table(model, ("record", "source", "locator")),
            [
                (record_id, source_id, rng.choice(LOCATORS).format(number=rng.randint(1, 240)))
                for source_id in self.sources.draw_distinct(rng, self.count(CITATIONS))
            ],
        )

    def partial_date(
        self, first: datetime.date, last: datetime.date
    ) -> tuple[datetime.date, DatePrecision]:
        precision = distribution(PRECISION_WEIGHTS).draw(self.rng)
        return truncated(random_date(self.rng, first, last), precision), precision

    # The records, in an order where each kind refers only to kinds before it

    def source_title(self) -> str:
        title = self.text(self.rng.choice(SOURCE_TITLES), region=self.rng.choice(REGIONS))
        return title[0].upper() + title[1:]

    def generate_sources(self) -> None:
        rng = self.rng
        for number in self.numbers("sources", self.size.sources):
            title = self.names.name(rng, self.source_title)
            kind = distribution(SOURCE_KIND_WEIGHTS).draw(rng)
            published_on, precision = self.partial_date(
                datetime.date(1995, 1, 1), datetime.date(2026, 6, 1)
            )
            slug = self.names.slug(title)
            self.writer.add(
                Source(
                    pk=number,
                    slug=slug,
                    title=title,
                    author=f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN_NAMES)[0]}.",
                    publisher=f"{rng.choice(REGIONS)} Science Diplomacy Press"
                    if rng.random() < 0.5
                    else "",
                    kind=kind,
                    url=web_address(slug) if rng.random() < 0.8 else "",
                    published_on=published_on,
                    published_on_precision=precision,
                    accessed_on=random_date(rng, datetime.date(2020, 1, 1), GENERATED_ON)
                    if kind == SourceKind.WEB_PAGE
                    else None,
                )
            )

    def city_name(self) -> str:
        rng = self.rng
        stem = rng.choice(CITY_STEMS) + rng.choice(CITY_LINKS) + rng.choice(CITY_ENDINGS)
        return distribution(CITY_PREFIXES).draw(rng) + stem

    def generate_cities(self) -> None:
        rng = self.rng
        for number in self.numbers("cities", self.size.cities):
            name = self.names.name(rng, self.city_name)
            country = self.countries.draw(rng)
            strategy = distribution(STRATEGY_WEIGHTS).draw(rng)
            has_coordinates = rng.random() < 0.95
            city = City(
                pk=number,
                **self.record_fields(name),
                summary=self.text(
                    "A city in {country} that uses {subject} to build ties abroad.",
                    country=self.reference.countries[country],
                ),
                description=self.description(place=name, start=str(rng.randint(1990, 2020))),
                country_id=country,
                latitude=round(rng.uniform(-55.0, 70.0), 5) if has_coordinates else None,
                longitude=round(rng.uniform(-180.0, 180.0), 5) if has_coordinates else None,
                geonames_id=1_000_000 + number if rng.random() < 0.6 else None,
                strategy=strategy,
                strategy_since=rng.randint(2000, 2024)
                if strategy == Strategy.COMPREHENSIVE and rng.random() < 0.8
                else None,
                approach=distribution(APPROACH_WEIGHTS).draw(rng),
            )
            self.city_countries.append(country)
            self.city_names.append(name)
            self.writer.add(city)
            self.cite(CityCitation, number)

    def country_of(self, city_id: int) -> str:
        return self.city_countries[city_id - 1]

    def actor_name(self, kind: ActorKind, city_id: int | None, country: str | None) -> str:
        rng = self.rng
        city = self.city_names[city_id - 1] if city_id else rng.choice(self.city_names)
        country_name = self.reference.countries[country or self.countries.draw(rng)]
        return rng.choice(ACTOR_NAMES[kind]).format(
            city=city,
            country=country_name,
            region=rng.choice(REGIONS),
            field=rng.choice(FIELDS),
            surname=rng.choice(SURNAMES),
            given=rng.choice(GIVEN_NAMES),
            initial=rng.choice("ABCDEFGHJKLMNPRSTW"),
            company=rng.choice(COMPANY_WORDS),
        )

    def generate_actors(self) -> None:
        rng = self.rng
        kinds = distribution(ACTOR_KIND_WEIGHTS)
        for number in self.numbers("actors", self.size.actors):
            kind = kinds.draw(rng)
            where = rng.random()
            city_id = self.cities.draw(rng) if where < 0.8 else None
            country = (
                self.country_of(city_id)
                if city_id
                else (self.countries.draw(rng) if where < 0.95 else None)
            )
            name = self.names.name(rng, self.actor_name, kind, city_id, country)
            place = self.city_names[city_id - 1] if city_id else "several countries"
            actor = Actor(
                pk=number,
                **self.record_fields(name),
                summary=self.text(
                    ACTOR_SUMMARIES.get(kind, ACTOR_SUMMARY),
                    kind=ActorKind(kind).label,
                    place=place,
                ),
                description=self.description(place=place, start=str(rng.randint(1990, 2024))),
                kind=kind,
                acronym=acronym_of(name)[:30]
                if kind != ActorKind.PERSON and rng.random() < 0.6
                else "",
                country_id=country,
                city_id=city_id,
                # An earlier actor, so that no chain of parents comes back to itself.
                parent_id=rng.randint(1, number - 1)
                if number > 1 and kind != ActorKind.PERSON and rng.random() < 0.08
                else None,
                founded=rng.randint(1900, 2022) if rng.random() < 0.7 else None,
                ror_id="0" + "".join(rng.choices(ROR_CHARACTERS, k=6)) + f"{rng.randint(0, 99):02d}"
                if kind in (ActorKind.RESEARCH, ActorKind.ACADEMY) and rng.random() < 0.5
                else "",
            )
            self.writer.add(actor)
            self.cite(ActorCitation, number)

    def initiative_years(self, status: InitiativeStatus) -> tuple[int | None, int | None]:
        rng = self.rng
        if status == InitiativeStatus.PLANNED:
            return (LAST_YEAR if rng.random() < 0.5 else None), None
        if rng.random() < 0.03:
            return None, None
        # More initiatives began recently than long ago.
        start = min(LAST_YEAR, int(rng.triangular(FIRST_YEAR, LAST_YEAR + 1, 2021)))
        ends = status == InitiativeStatus.COMPLETED or (
            status == InitiativeStatus.SUSPENDED and rng.random() < 0.5
        )
        end = min(LAST_YEAR, start + rng.randint(0, 12)) if ends else None
        return start, end

    def initiative_name(self, kind: InitiativeKind, city_id: int, subject: str) -> str:
        rng = self.rng
        noun = rng.choice(INITIATIVE_NOUNS[kind])
        if rng.random() < 0.5:
            focus = rng.choice(FOCUSES)
            if "Science" in subject:  # not "Ocean Science Science Diplomacy"
                focus = focus.removeprefix("Science ")
            return f"{rng.choice(REGIONS)} {subject} {focus} {noun}"
        return f"{self.city_names[city_id - 1]} {subject} {noun}"

    def generate_initiatives(self) -> None:
        rng = self.rng
        kinds = distribution(INITIATIVE_KIND_WEIGHTS)
        statuses = distribution(INITIATIVE_STATUS_WEIGHTS)
        levels = distribution(LEVEL_WEIGHTS)
        roles = distribution(PARTICIPATION_ROLE_WEIGHTS)
        for number in self.numbers("initiatives", self.size.initiatives, reports=10):
            kind, status, level = kinds.draw(rng), statuses.draw(rng), levels.draw(rng)
            start, end = self.initiative_years(status)
            subject = self.subjects.draw(rng)
            city_ids = self.cities.draw_distinct(
                rng, 1 if level == Level.CITY else self.count(INITIATIVE_CITIES)
            )
            # The catalogue's rule: an initiative's countries include its cities' countries.
            countries = sorted(
                {self.country_of(city) for city in city_ids}
                | set(self.countries.draw_distinct(rng, self.count(EXTRA_COUNTRIES)))
            )
            name = self.names.name(rng, self.initiative_name, kind, city_ids[0], subject)
            place = self.city_names[city_ids[0] - 1]
            about = {"place": place, "subject": lower_words(subject)}
            initiative = Initiative(
                pk=number,
                **self.record_fields(name),
                summary=self.text(
                    rng.choice(INITIATIVE_SUMMARIES),
                    level=Level(level).label,
                    kind=InitiativeKind(kind).label,
                    **about,
                ),
                description=self.description(**about, start=str(start or 2020)),
                kind=kind,
                status=status,
                start_year=start,
                end_year=end,
                level=level,
                parent_id=rng.randint(1, number - 1)
                if number > 1 and rng.random() < 0.05
                else None,
            )
            self.writer.add(initiative)
            self.writer.write(
                PARTICIPATIONS_TABLE,
                [
                    (
                        number,
                        actor_id,
                        ParticipationRole.LEAD if position == 0 else roles.draw(rng),
                        start if rng.random() < 0.3 else None,
                    )
                    for position, actor_id in enumerate(
                        self.actors.draw_distinct(rng, self.count(PARTICIPATIONS))
                    )
                ],
            )
            self.relate(Initiative, "cities", number, city_ids)
            self.relate(Initiative, "countries", number, countries)
            self.relate(
                Initiative,
                "themes",
                number,
                self.themes.draw_distinct(rng, self.count(INITIATIVE_THEMES)),
            )
            self.relate(
                Initiative,
                "sdgs",
                number,
                self.sdgs.draw_distinct(rng, self.count(INITIATIVE_SDGS)),
            )
            self.relate(
                Initiative,
                "dimensions",
                number,
                self.dimensions.draw_distinct(rng, self.count(INITIATIVE_DIMENSIONS)),
            )
            self.relate(
                Initiative,
                "drivers",
                number,
                self.drivers.draw_distinct(rng, self.count(INITIATIVE_DRIVERS)),
            )
            self.cite(InitiativeCitation, number)

    def course_dates(self, kind: CourseKind) -> dict:
        rng = self.rng
        if rng.random() < 0.05:
            return {}
        starts_on = random_date(rng, datetime.date(2005, 1, 1), datetime.date(2027, 12, 31))
        length = {CourseKind.SUMMER_SCHOOL: 12, CourseKind.FELLOWSHIP: 180}.get(kind, 4)
        return {
            "starts_on": starts_on,
            "ends_on": starts_on + datetime.timedelta(days=rng.randint(0, length)),
            "application_deadline": starts_on - datetime.timedelta(days=rng.randint(14, 120))
            if rng.random() < 0.8
            else None,
        }

    def course_name(self, kind: CourseKind, dates: dict) -> str:
        year = f" {dates['starts_on'].year}" if dates else ""
        label = CourseKind(kind).label.title()
        return f"{self.subjects.draw(self.rng)} Science Diplomacy {label}{year}"

    def generate_courses(self) -> None:
        rng = self.rng
        kinds = distribution(COURSE_KIND_WEIGHTS)
        formats = distribution(COURSE_FORMAT_WEIGHTS)
        roles = distribution(PROVIDER_ROLE_WEIGHTS)
        languages = distribution(LANGUAGE_WEIGHTS)
        for number in self.numbers("courses", self.size.courses):
            kind, course_format = kinds.draw(rng), formats.draw(rng)
            dates = self.course_dates(kind)
            edition = rng.randint(1, 20) if rng.random() < 0.6 else None
            name = self.names.name(rng, self.course_name, kind, dates)
            is_free = distribution(FREE_OF_CHARGE).draw(rng)
            city_id = None if course_format == CourseFormat.ONLINE else self.cities.draw(rng)
            course = Course(
                pk=number,
                **self.record_fields(name),
                summary=self.text(COURSE_SUMMARY, kind=CourseKind(kind).label),
                description=self.description(
                    place=self.city_names[city_id - 1] if city_id else "online",
                    start=str(dates["starts_on"].year if dates else 2020),
                ),
                kind=kind,
                edition=edition,
                format=course_format,
                city_id=city_id,
                **dates,
                language=languages.draw(rng),
                is_free=is_free,
                fee=f"EUR {rng.randrange(150, 3000, 50)}"
                if is_free is False and rng.random() < 0.6
                else "",
                initiative_id=rng.randint(1, self.size.initiatives) if rng.random() < 0.4 else None,
            )
            self.writer.add(course)
            self.writer.write(
                PROVIDERS_TABLE,
                [
                    (number, actor_id, ProviderRole.ORGANISER if position == 0 else roles.draw(rng))
                    for position, actor_id in enumerate(
                        self.actors.draw_distinct(rng, self.count(COURSE_PROVIDERS))
                    )
                ],
            )
            self.relate(
                Course,
                "audiences",
                number,
                self.audiences.draw_distinct(rng, self.count(COURSE_AUDIENCES)),
            )
            self.cite(CourseCitation, number)

    def agreement_dates(self, status: AgreementStatus) -> dict:
        """Signed, in force and ended dates in that order, each with its precision."""
        rng = self.rng
        if status == AgreementStatus.UNDER_NEGOTIATION:
            return {}
        signed_on, signed_precision = self.partial_date(
            datetime.date(FIRST_YEAR, 1, 1), datetime.date(LAST_YEAR, 6, 30)
        )
        dates = {"signed_on": signed_on, "signed_on_precision": signed_precision}
        if status == AgreementStatus.SIGNED or rng.random() < 0.2:
            return dates
        in_force_on, in_force_precision = self.partial_date(
            signed_on, min(signed_on + datetime.timedelta(days=900), GENERATED_ON)
        )
        if in_force_on < signed_on:
            # Known only to a year or month that began before the signature: in force on signing.
            in_force_on, in_force_precision = signed_on, signed_precision
        dates.update(in_force_on=in_force_on, in_force_on_precision=in_force_precision)
        if status == AgreementStatus.ENDED:
            ended_on, ended_precision = self.partial_date(
                min(in_force_on + datetime.timedelta(days=365), GENERATED_ON),
                min(in_force_on + datetime.timedelta(days=4000), GENERATED_ON),
            )
            if ended_on < in_force_on:
                ended_on, ended_precision = in_force_on, in_force_precision
            dates.update(ended_on=ended_on, ended_on_precision=ended_precision)
        return dates

    def agreement_name(self, year: str) -> str:
        rng = self.rng
        subject, subject2 = self.subjects.draw_distinct(rng, 2)
        return rng.choice(AGREEMENT_NAMES).format(
            subject=subject,
            subject2=subject2,
            region=rng.choice(REGIONS),
            year=year,
        )

    def generate_agreements(self) -> None:
        rng = self.rng
        kinds = distribution(AGREEMENT_KIND_WEIGHTS)
        statuses = distribution(AGREEMENT_STATUS_WEIGHTS)
        party_roles = distribution(PARTY_ROLE_WEIGHTS)
        party_ids = itertools.count(1)
        for number in self.numbers("agreements", self.size.agreements):
            kind, status = kinds.draw(rng), statuses.draw(rng)
            dates = self.agreement_dates(status)
            year = str(dates["signed_on"].year) if dates else "draft"
            name = self.names.name(rng, self.agreement_name, year)
            agreement = Agreement(
                pk=number,
                **self.record_fields(name),
                summary=self.text(AGREEMENT_SUMMARY),
                description=self.description(place=rng.choice(REGIONS), start=year),
                kind=kind,
                status=status,
                **dates,
            )
            parties = []
            for actor_id in self.actors.draw_distinct(rng, self.count(AGREEMENT_PARTIES)):
                role = party_roles.draw(rng)
                party = AgreementParty(
                    pk=next(party_ids), agreement_id=number, actor_id=actor_id, role=role
                )
                if dates and role in (PartyRole.PARTY, PartyRole.SIGNATORY):
                    party.signed_on = dates["signed_on"]
                    party.signed_on_precision = dates["signed_on_precision"]
                    if role == PartyRole.PARTY and "in_force_on" in dates:
                        party.joined_on = dates["in_force_on"]
                        party.joined_on_precision = dates["in_force_on_precision"]
                parties.append(party)
            self.writer.add(agreement, *parties)
            self.relate(
                Agreement,
                "cities",
                number,
                self.cities.draw_distinct(rng, self.count(AGREEMENT_CITIES)),
            )
            self.relate(
                Agreement,
                "initiatives",
                number,
                rng.sample(
                    range(1, self.size.initiatives + 1),
                    min(self.size.initiatives, self.count(AGREEMENT_INITIATIVES)),
                ),
            )
            self.relate(
                Agreement,
                "themes",
                number,
                self.themes.draw_distinct(rng, self.count(AGREEMENT_THEMES)),
            )
            self.cite(AgreementCitation, number)


def reset_sequences(written: Sequence[type[models.Model]]) -> None:
    """Moves PostgreSQL's id sequences past the explicit ids written, so later inserts (a
    curator's new record) get free ids; other engines need nothing."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(written))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def indexes_made_afterwards(progress: Progress) -> Iterator[None]:
    """On PostgreSQL, drops the plain indexes and the foreign keys of the catalogue's tables for
    the block and makes them again at its end, as pg_restore loads a dump.

    An index built once over a full table costs a fraction of one kept up row by row, and a
    foreign key added to a full table is checked in one join, where a deferred one checks each
    row with a query of its own at commit (28 s for the 1.7 M rows of 100,000 initiatives).
    Unique indexes stay, since they back the constraints the load relies on. Nothing is done on
    other engines.
    """
    if connection.vendor != "postgresql":
        yield
        return
    catalogue = apps.get_app_config("catalogue")
    tables = [model._meta.db_table for model in catalogue.get_models(include_auto_created=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
                   format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s',
                          conrelid::regclass, conname, pg_get_constraintdef(oid))
            FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT format('DROP INDEX %%s', indexrelid::regclass), pg_get_indexdef(indexrelid)
            FROM pg_index
            WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique
              AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid)
            """,
            [tables, tables],
        )
        statements = cursor.fetchall()
        # PostgreSQL alters no table with foreign-key checks still pending: make those of
        # earlier writes in the same transaction (a test emptying the catalogue first) now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for drop, _make in statements:
            cursor.execute(drop)
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        # Foreign keys were listed first: they are made last, after the indexes.
        for _drop, make in reversed(statements):
            cursor.execute(make)
    progress(f"indexes and foreign keys: {time.monotonic() - started:.1f} s")


def analyze(*models: type[models.Model]) -> None:
    """Gathers the planner's statistics of the tables of `models`, or of every table. Without
    them PostgreSQL's planner takes freshly filled tables for empty ones: building the search
    documents then takes a third longer, and an export's query seconds instead of a fraction of
    one."""
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def generate_catalogue(
    *,
    initiatives: int,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    drop_indexes: bool = False,
    progress: Progress = lambda message: None,
) -> dict[str, int]:
    """Fills an empty catalogue with a synthetic one of `initiatives` initiatives drawn from
    `seed`; returns how many rows of each model it wrote, by model label. With `drop_indexes`,
    the tables' plain indexes and foreign keys are made after the rows are in (on PostgreSQL).
    Raises `GenerationRefused` if reference data is missing or the catalogue is not empty."""
    if initiatives < 1:
        raise GenerationRefused("Generate at least one initiative.")
    with transaction.atomic():
        reference = ReferenceData.load()
        present = catalogue_counts()
        if any(present.values()):
            raise GenerationRefused(
                f"The catalogue already holds {counted_text(present)}: generate a synthetic "
                "catalogue only into an empty database."
            )
        writer = BatchWriter(batch_size)
        with indexes_made_afterwards(progress) if drop_indexes else nullcontext():
            Generator(
                rng=random.Random(seed),
                size=CatalogueSize.for_initiatives(initiatives),
                reference=reference,
                writer=writer,
                progress=progress,
            ).run()
            reset_sequences(list(writer.counts))
            # No signals were sent, so the counts remembered of the empty catalogue are retired
            # and the stored search documents built here.
            revision.advance()
            analyze()
            started = time.monotonic()
            update_all_search_vectors()
            if connection.vendor == "postgresql":
                kinds = searched_models()
                analyze(*map(search_model, kinds), *map(terms_model, kinds))
            progress(f"search documents: {time.monotonic() - started:.1f} s")
    return {model._meta.label: count for model, count in writer.counts.items()}

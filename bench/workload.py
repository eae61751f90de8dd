"""The varied workload: for each case, distinct request paths drawn from the catalogue itself, as
readers ask for them, so that no path is asked twice in a measured run and no cache of answers
can answer one from memory.

Every value comes from the data: published initiatives' slugs and the words of their names, the
statuses, kinds and levels they hold, their range of start years, and the themes, countries and
published cities they are linked to, each weighted by its number of links (popular themes and
cities are asked for more often, as readers ask for them). `catalogue_values` reads them from a
catalogue into a `CatalogueValues`; everything else is pure, so the tests build one by hand.

Seeded: each case draws from random streams of its own, seeded from the seed and the case's key,
so the same catalogue and seed give the same paths, and adding a case changes no other case's.
"""

import itertools
import math
import random
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from bench import catalogues

API_LIST = "/api/v1/initiatives/"
SITE_LIST = "/initiatives/"
PER_PAGE = 50
SORTS = ("name", "-name", "-updated", "start_year", "-start_year")
COLUMNS = ("status", "kind", "level")
YEARS = "start_year"
RELATIONS = ("theme", "country", "city")
COLUMN_FILTERS = (*COLUMNS, YEARS)
EVERY_FILTER = (*COLUMN_FILTERS, *RELATIONS)
RELATION_FACETS = ("theme", "country", "city", "sdg")
# How often a column filter chooses two of its values (`status=active&status=planned`).
TWO_VALUES = 0.2
# How often a search is for two adjacent words of a name rather than one.
TWO_WORDS = 0.5
# Paths made per second of load: more than any case is answered at on the 2-core machine, with
# the cache on, so that none is asked twice unless the catalogue has too few distinct ones.
PATHS_PER_SECOND = 1000
# A case stops drawing after this many draws in a row gave a path it already had: what it has
# left to find is then too rare to matter (a catalogue of 1,000 has fewer paths than wanted).
GIVE_UP_AFTER = 2000

DATASETTE_TABLE = "catalogue_initiative"
# Sciplo's defaults, said to Datasette: sorted by name, 50 rows, the three facets, and no facets
# suggested (work Sciplo does not do).
DATASETTE_TAIL = (
    ("_sort", "name"),
    ("_facet", "status"),
    ("_facet", "kind"),
    ("_facet", "level"),
    ("_nosuggest", "1"),
    ("_size", str(PER_PAGE)),
)


@dataclass
class CatalogueValues:
    """What paths are drawn from: the published initiatives' slugs and names (in the same
    order), the values of each column among them, their first and last start years, and, for
    each relation, how many links to published initiatives each value has."""

    slugs: list[str]
    names: list[str]
    columns: dict[str, list[str]]
    start_years: tuple[int, int] | None
    relations: dict[str, dict[str, int]]

    def pages(self) -> int:
        """The pages of the API's list of every published initiative, 50 to a page."""
        return max(1, math.ceil(len(self.slugs) / PER_PAGE))


PUBLISHED = "published"
RELATION_SQL = {
    "theme": (
        "SELECT theme.slug, COUNT(*) FROM catalogue_initiative_themes link "
        "JOIN catalogue_initiative initiative ON initiative.id = link.initiative_id "
        "JOIN catalogue_theme theme ON theme.id = link.theme_id "
        "WHERE initiative.publication = %s GROUP BY theme.slug ORDER BY theme.slug",
        [PUBLISHED],
    ),
    "country": (
        "SELECT country.code, COUNT(*) FROM catalogue_initiative_countries link "
        "JOIN catalogue_initiative initiative ON initiative.id = link.initiative_id "
        "JOIN catalogue_country country ON country.code = link.country_id "
        "WHERE initiative.publication = %s GROUP BY country.code ORDER BY country.code",
        [PUBLISHED],
    ),
    # The city filter knows published cities only: another city's slug is refused.
    "city": (
        "SELECT city.slug, COUNT(*) FROM catalogue_initiative_cities link "
        "JOIN catalogue_initiative initiative ON initiative.id = link.initiative_id "
        "JOIN catalogue_city city ON city.id = link.city_id "
        "WHERE initiative.publication = %s AND city.publication = %s "
        "GROUP BY city.slug ORDER BY city.slug",
        [PUBLISHED, PUBLISHED],
    ),
}


def catalogue_values(catalogue: catalogues.Catalogue) -> CatalogueValues:
    """The values of `catalogue` that readers' requests name."""
    records = catalogues.fetch(
        catalogue,
        "SELECT slug, name FROM catalogue_initiative WHERE publication = %s ORDER BY id",
        [PUBLISHED],
    )
    if not records:
        raise catalogues.CatalogueError(f"{catalogue.url} holds no published initiative.")
    columns = {
        column: [
            value
            for (value,) in catalogues.fetch(
                catalogue,
                f"SELECT DISTINCT {column} FROM catalogue_initiative WHERE publication = %s "
                f"ORDER BY {column}",
                [PUBLISHED],
            )
        ]
        for column in COLUMNS
    }
    ((first, last),) = catalogues.fetch(
        catalogue,
        "SELECT MIN(start_year), MAX(start_year) FROM catalogue_initiative WHERE publication = %s",
        [PUBLISHED],
    )
    relations = {
        name: dict(catalogues.fetch(catalogue, sql, params))
        for name, (sql, params) in RELATION_SQL.items()
    }
    return CatalogueValues(
        slugs=[slug for slug, _name in records],
        names=[name for _slug, name in records],
        columns=columns,
        start_years=(first, last) if first is not None else None,
        relations=relations,
    )


@dataclass(frozen=True)
class Filters:
    """One request's filters, drawn once and written two ways: as Sciplo's query string and,
    for the column filters, as Datasette's, so that both servers are asked the same thing.

    Parameters come in a fixed order and values sorted, so that two paths differ only when their
    requests do."""

    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    years: tuple[int, int] | None = None
    relations: tuple[tuple[str, str], ...] = ()
    q: str = ""

    def sciplo(self) -> list[tuple[str, str]]:
        pairs = [("q", self.q)] if self.q else []
        for name, values in self.columns:
            # Two values of a filter are the parameter twice, as the site's facet links write it.
            pairs += [(name, value) for value in values]
        if self.years:
            pairs += [
                ("start_year_min", str(self.years[0])),
                ("start_year_max", str(self.years[1])),
            ]
        return pairs + list(self.relations)

    def datasette(self) -> list[tuple[str, str]]:
        if self.q or self.relations:
            raise ValueError("Datasette's twin says column filters only.")
        pairs = [("publication", PUBLISHED)]
        for name, values in self.columns:
            if len(values) == 1:
                pairs.append((name, values[0]))
            else:
                pairs.append((f"{name}__in", ",".join(values)))
        if self.years:
            pairs += [
                ("start_year__gte", str(self.years[0])),
                ("start_year__lte", str(self.years[1])),
            ]
        return pairs + list(DATASETTE_TAIL)


@dataclass(frozen=True)
class Request:
    """A path to request and, when it lists filtered initiatives, the filters it says."""

    path: str
    filters: Filters | None = None


def with_query(base: str, pairs: list[tuple[str, str]]) -> str:
    return f"{base}?{urllib.parse.urlencode(pairs)}"


def datasette_path(filters: Filters, database: str) -> str:
    """`filters` as Datasette's request on the SQLite file named `database` (without suffix)."""
    return with_query(f"/{database}/{DATASETTE_TABLE}.json", filters.datasette())


class Draws:
    """A case's two random streams. `shape` decides what a request is made of (how many filters,
    which, one value or two, one word or two); `pick` chooses the values. Kept apart, the shapes
    come in the same order in every catalogue (a choice among more values takes more random
    numbers), so a case's first paths are alike at every N and their queries compare."""

    def __init__(self, values: CatalogueValues, seed: int, key: str):
        self.values = values
        self.shape = random.Random(f"{seed}:{key}:shape")
        self.pick = random.Random(f"{seed}:{key}:values")
        # Drawing a value by its cumulative links is drawing a link row and taking its value.
        self.weighted = {
            name: (list(counts), list(itertools.accumulate(counts.values())))
            for name, counts in values.relations.items()
            if counts
        }

    def filters(self, names: set[str] | list[str], *, q: str = "") -> Filters:
        columns, years, relations = [], None, []
        for name in EVERY_FILTER:
            if name not in names:
                continue
            if name == YEARS:
                first, last = self.values.start_years
                low, high = sorted((self.pick.randint(first, last), self.pick.randint(first, last)))
                years = (low, high)
            elif name in COLUMNS:
                present = self.values.columns[name]
                two = self.shape.random() < TWO_VALUES and len(present) > 1
                columns.append((name, tuple(sorted(self.pick.sample(present, 2 if two else 1)))))
            else:
                choices, cumulative = self.weighted[name]
                relations.append((name, self.pick.choices(choices, cum_weights=cumulative)[0]))
        return Filters(tuple(columns), years, tuple(relations), q)

    def some(self, names: tuple[str, ...], fewest: int, most: int) -> list[str]:
        """Between `fewest` and `most` of `names`, those the catalogue has values for."""
        available = [name for name in names if self.has_values(name)]
        count = self.shape.randint(fewest, most)
        return self.shape.sample(available, min(count, len(available)))

    def has_values(self, name: str) -> bool:
        if name == YEARS:
            return self.values.start_years is not None
        if name in COLUMNS:
            return bool(self.values.columns.get(name))
        return name in self.weighted

    def words(self) -> str:
        """One word, or two adjacent ones, of a published initiative's name, lower-case: what
        a reader who remembers part of a name types."""
        two = self.shape.random() < TWO_WORDS
        words = self.pick.choice(self.values.names).lower().split()
        if two and len(words) > 1:
            start = self.pick.randrange(len(words) - 1)
            return " ".join(words[start : start + 2])
        return self.pick.choice(words)


def api_list(draws: Draws) -> list[Request]:
    pages = range(1, draws.values.pages() + 1)
    every = [
        Request(
            with_query(API_LIST, [("per_page", str(PER_PAGE)), ("page", str(page)), ("sort", sort)])
        )
        for page, sort in itertools.product(pages, SORTS)
    ]
    draws.pick.shuffle(every)
    return every


def api_faceted(draws: Draws) -> Request:
    filters = draws.filters(draws.some(COLUMN_FILTERS, 1, 3))
    return Request(
        with_query(API_LIST, [*filters.sciplo(), ("facets", "status,kind,level")]), filters
    )


def api_faceted_relations(draws: Draws) -> Request:
    names = draws.some(COLUMN_FILTERS, 1, 3) + draws.some(RELATIONS, 1, 2)
    facet = draws.shape.choice(RELATION_FACETS)
    filters = draws.filters(names)
    facets = ("facets", f"status,kind,level,{facet}")
    return Request(with_query(API_LIST, [*filters.sciplo(), facets]), filters)


def api_search(draws: Draws) -> Request:
    names = draws.some(COLUMN_FILTERS, 0, 1)
    filters = draws.filters(names, q=draws.words())
    return Request(with_query(API_LIST, [*filters.sciplo(), ("facets", "status,kind")]), filters)


def api_detail(draws: Draws) -> list[Request]:
    slugs = list(draws.values.slugs)
    draws.pick.shuffle(slugs)
    return [Request(f"{API_LIST}{slug}/") for slug in slugs]


def site_detail(draws: Draws) -> list[Request]:
    slugs = list(draws.values.slugs)
    draws.pick.shuffle(slugs)
    return [Request(f"{SITE_LIST}{slug}/") for slug in slugs]


def site_list(draws: Draws) -> Request:
    filters = draws.filters(draws.some(COLUMN_FILTERS, 1, 3) + draws.some(RELATIONS, 0, 2))
    return Request(with_query(SITE_LIST, filters.sciplo()), filters)


def site_search(draws: Draws) -> Request:
    names = draws.some(EVERY_FILTER, 0, 2)
    filters = draws.filters(names, q=draws.words())
    return Request(with_query(SITE_LIST, filters.sciplo()), filters)


@dataclass(frozen=True)
class CaseKind:
    """A varied case: its key, its title, and how its requests are made, either every one at
    once (`every`: all there are, shuffled) or one at a time (`draw`, repeated until enough
    distinct ones are found)."""

    key: str
    title: str
    every: Callable[[Draws], list[Request]] | None = None
    draw: Callable[[Draws], Request] | None = None


CASES = (
    CaseKind("api_list", "API list, 50 rows, varied page and sort", every=api_list),
    CaseKind("api_faceted", "API list, 1–3 column filters, 3 facets", draw=api_faceted),
    CaseKind(
        "api_faceted_relations",
        "API list, column and relation filters, 4 facets",
        draw=api_faceted_relations,
    ),
    CaseKind("api_search", "API list, q, 2 facets", draw=api_search),
    CaseKind("api_detail", "API detail", every=api_detail),
    CaseKind("site_detail", "site detail page", every=site_detail),
    CaseKind("site_list", "site list, every facet, column and relation filters", draw=site_list),
    CaseKind("site_search", "site list, every facet, q", draw=site_search),
)
CASE_KEYS = tuple(kind.key for kind in CASES)


@dataclass
class VariedCase:
    """A case's requests: `measured` and `warmup` distinct, and none in both."""

    key: str
    title: str
    measured: list[Request]
    warmup: list[Request]

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.measured]

    @property
    def warmup_paths(self) -> list[str]:
        return [request.path for request in self.warmup]

    def datasette_twins(self, database: str) -> tuple[list[str], list[str]]:
        """The measured and warm-up requests in Datasette's syntax, in the same order."""
        return (
            [datasette_path(request.filters, database) for request in self.measured],
            [datasette_path(request.filters, database) for request in self.warmup],
        )


def distinct(draw: Callable[[], Request], wanted: int) -> list[Request]:
    """Up to `wanted` requests of distinct paths, in the order drawn."""
    found, seen, misses = [], set(), 0
    while len(found) < wanted and misses < GIVE_UP_AFTER:
        request = draw()
        if request.path in seen:
            misses += 1
            continue
        seen.add(request.path)
        found.append(request)
        misses = 0
    return found


def generate(
    values: CatalogueValues,
    seed: int,
    *,
    measured: int,
    warmup: int,
    keys: tuple[str, ...] | list[str] = CASE_KEYS,
) -> list[VariedCase]:
    """The cases named by `keys`, each with `measured` and `warmup` distinct requests, or, when
    the catalogue has fewer distinct ones than both together, all it has, shared between them in
    the same proportion (the measured run then asks some again, and wrk counts how many)."""
    cases = []
    for kind in CASES:
        if kind.key not in keys:
            continue
        draws = Draws(values, seed, kind.key)
        wanted = measured + warmup
        if kind.every:
            requests = kind.every(draws)[:wanted]
        else:
            requests = distinct(lambda kind=kind, draws=draws: kind.draw(draws), wanted)
        # Measured first: the first paths are then the same whatever the warm-up's length.
        share = measured
        if len(requests) < wanted:
            share = round(len(requests) * measured / wanted)
            if warmup and len(requests) > 1:
                share = max(1, min(share, len(requests) - 1))
        cases.append(VariedCase(kind.key, kind.title, requests[:share], requests[share:]))
    return cases

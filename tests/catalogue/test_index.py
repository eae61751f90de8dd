"""The list index answers every list exactly as the database does.

On a generated catalogue, random query strings of every list — any filters, several values, year
ranges, searches, every sort — are answered by the index (catalogue/index.py) and by the database
through the FilterSet's own querysets, and must agree: the same records in the same order, and
facet counts that are the database's grouped counts, each value's number being the results its
link gives.
"""

import random

import numpy as np
import pytest
from django.http import QueryDict

from catalogue import index
from catalogue.facets import DecadeFacet
from synthetic.generator import generate_catalogue
from tests.catalogue.counting import FILTERSETS, database_counts

pytestmark = pytest.mark.django_db

WORDS = ["research", "ocean", "science", "network", "polar", "health", "of", "xyzzy"]


def published(filterset_class):
    return filterset_class._meta.model.objects.published()


def bound(filterset_class, data: QueryDict):
    filterset = filterset_class(data, queryset=published(filterset_class))
    assert filterset.is_valid(), filterset.errors
    return filterset


def random_query(rng: random.Random, filterset_class, kind_index) -> QueryDict:
    """A query string of up to three filters, values drawn as records carry them (so that most
    queries find something), often a search, and any order."""
    data = QueryDict(mutable=True)
    carried = {name: values for name, values in kind_index.values.items() if len(values.codes)}
    for name in rng.sample(sorted(carried), min(len(carried), rng.choice([0, 1, 1, 2, 3]))):
        values = carried[name]
        drawn = {values.vocabulary[rng.choice(values.codes)] for _ in range(rng.choice([1, 1, 2]))}
        data.setlist(name, sorted(drawn))
    for facet in filterset_class.facets:
        if isinstance(facet, DecadeFacet) and rng.random() < 0.2:
            low = rng.randrange(1990, 2026)
            data[f"{facet.param}_min"] = str(low)
            data[f"{facet.param}_max"] = str(low + rng.randrange(0, 15))
    if rng.random() < 0.5:
        data["q"] = " ".join(rng.sample(WORDS, rng.choice([1, 1, 2])))
    sort = rng.choice(["", "relevance", *filterset_class.sort_options])
    if sort:
        data["sort"] = sort
    return data


@pytest.mark.slow
@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.parametrize("filterset_class", FILTERSETS, ids=lambda f: f._meta.model.__name__)
def test_the_index_answers_as_the_database(filterset_class):
    generate_catalogue(initiatives=120, seed=5)
    kind_index = index.index_for(filterset_class)
    rng = random.Random(filterset_class.__name__)
    for _ in range(40):
        data = random_query(rng, filterset_class, kind_index)
        filterset = bound(filterset_class, data)
        selection = kind_index.select(filterset)
        expected = list(filterset.qs.values_list("pk", flat=True))
        assert selection.ids() == expected, data.urlencode()
        assert selection.total == len(expected)
        for facet in filterset_class.facets:
            offered, number = selection.facet_values(facet)
            assert number == len(offered)
            chosen = [v for v in data.getlist(facet.param) if v]
            if not chosen and not any(data.get(param) for param in facet.params):
                others = filterset.qs
                counted = {k: v for k, v in database_counts(facet, others).items() if v}
                assert {value.value: value.count for value in offered} == counted, (
                    facet.param,
                    data.urlencode(),
                )
            # Each value's number is the number of results its link gives.
            for value in rng.sample(offered, min(3, len(offered))):
                clicked = QueryDict(value.url)
                if value.selected:
                    # The current results that carry it.
                    clicked = data.copy()
                    if not isinstance(facet, DecadeFacet):
                        clicked.setlist(facet.param, [value.value])
                assert bound(filterset_class, clicked).qs.count() == value.count, (
                    facet.param,
                    value.value,
                    data.urlencode(),
                )


@pytest.mark.parametrize("share", [0, 0.01, 0.3, 0.5, 0.51, 0.9, 1])
def test_values_are_counted_alike_from_the_selected_records_or_from_every_pair(share):
    """Counting reads the pairs of the selected records when they are few, every pair when
    they are many: both give what counting each record's values one by one gives."""
    rng = random.Random(7)
    size, vocabulary = 400, [f"v{code}" for code in range(12)]
    carried = {position: rng.sample(range(12), rng.randint(0, 4)) for position in range(size)}
    owners = [position for position, codes in carried.items() for _code in codes]
    codes = [code for position_codes in carried.values() for code in position_codes]
    values = index.Values.from_pairs(owners, codes, vocabulary, vocabulary, size=size)
    selected = rng.sample(range(size), round(share * size))
    mask = np.zeros(size, dtype=bool)
    mask[selected] = True

    expected = [sum(code in carried[position] for position in selected) for code in range(12)]
    assert values.counts(mask).tolist() == expected

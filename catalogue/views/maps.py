"""The cities map: every published city with coordinates, and what the catalogue holds there."""

from dataclasses import dataclass

from django.db.models import F, Func, Model, OuterRef, Subquery
from django.urls import reverse
from django.utils.text import capfirst
from django.views.generic import ListView

from catalogue.models import Actor, Agreement, City, Course, Initiative


@dataclass(frozen=True)
class CityCount:
    """One kind of record counted per city: `relation` leads from `model` to the city."""

    model: type[Model]
    relation: str
    one: str
    many: str

    @property
    def annotation(self) -> str:
        return f"{self.model._meta.model_name}_count"

    @property
    def heading(self) -> str:
        return capfirst(self.many)

    def subquery(self) -> Subquery:
        """How many published records reach the outer city.

        One subquery per kind, because counting over joins would multiply the kinds' rows. COUNT
        is a plain function here, not an aggregate, so there is no GROUP BY and none counts 0.
        """
        records = self.model.objects.published().filter(**{self.relation: OuterRef("pk")})
        count = Func(F("pk"), function="COUNT")
        return Subquery(records.order_by().annotate(count=count).values("count"))

    def list_url(self, city: City) -> str:
        """The model's list page filtered to `city`."""
        return f"{reverse(f'catalogue:{self.model._meta.model_name}-list')}?city={city.slug}"


CITY_COUNTS = (
    CityCount(Initiative, "cities", "initiative", "initiatives"),
    CityCount(Actor, "city", "actor based here", "actors based here"),
    CityCount(Course, "city", "course", "courses"),
    CityCount(Agreement, "cities", "agreement", "agreements"),
)


class CityMapView(ListView):
    """A marker per city on a world map, and the same data as a table for readers without it."""

    template_name = "catalogue/city_map.html"
    context_object_name = "cities"
    queryset = (
        City.objects.published()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .select_related("country")
        .annotate(**{kind.annotation: kind.subquery() for kind in CITY_COUNTS})
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["count_headings"] = [kind.heading for kind in CITY_COUNTS]
        context["city_rows"] = [city_row(city) for city in self.object_list]
        return context


def city_row(city: City) -> dict:
    """What the map's popup and the table show of `city`, as JSON-ready values."""
    counts = []
    for kind in CITY_COUNTS:
        count = getattr(city, kind.annotation)
        counts.append(
            {
                "count": count,
                "label": kind.one if count == 1 else kind.many,
                "url": kind.list_url(city) if count else "",
            }
        )
    return {
        "name": city.name,
        "url": city.get_absolute_url(),
        "country": city.country.name,
        "strategy": capfirst(city.get_strategy_display()),
        "latitude": city.latitude,
        "longitude": city.longitude,
        "counts": counts,
    }

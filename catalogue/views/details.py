"""Record pages: everything about one record, its relations in both directions and its sources.

A subclass of `RecordDetailView` declares the relations its page shows; the page and its JSON
face (the same URL with `?format=json`: fields as machine values, relations as brief objects)
show the same ones, loaded in a constant number of queries by the model's `for_detail()`, which
keeps only published related records. The page adds the record's latest public changes
(`catalogue.changes`), in one query more.

The record and its relations are read through `for_detail()` compiled once per process
(catalogue/compiled.py), for staff (drafts too) and for readers: the same instances the ORM
would make, without building a dozen queries on every request.
"""

import datetime
from functools import cache
from typing import NamedTuple

from django.db import models
from django.http import Http404, JsonResponse
from django.views.generic import DetailView

from catalogue import changes, jsonld
from catalogue.addresses import path_to
from catalogue.compiled import TEXT_MARKER, CompiledRecords
from catalogue.models import (
    Actor,
    Agreement,
    City,
    Course,
    Initiative,
    Publication,
    Record,
    Theme,
)
from catalogue.partial_dates import PartialDate, PartialDateField
from catalogue.revision import RememberedPageMixin


class Related(NamedTuple):
    """A relation a record page shows: the objects found by following `path` (dotted for a
    relation of a relation). For link rows (participations, parties, providers) `side` names
    the record each row stands for; its JSON gives the row's own role and dates beside it."""

    path: str
    side: str = ""


def brief(request, record: Record) -> dict[str, str]:
    return {
        "slug": record.slug,
        "name": record.name,
        "url": request.build_absolute_uri(record.get_absolute_url()),
    }


def machine_value(request, value):
    """`value` as JSON: ISO dates, partial dates with their precision, related records brief
    (and None when they are not published), reference data by its own fields."""
    match value:
        case PartialDate():
            return {
                "date": value.date.isoformat(),
                "precision": value.precision.value,
                "display": str(value),
            }
        case datetime.date():
            return value.isoformat()
        case Record():
            return brief(request, value) if value.is_published else None
        case Theme():
            url = path_to("catalogue:theme-detail", value.slug)
            return {"slug": value.slug, "name": value.name, "url": request.build_absolute_uri(url)}
        case models.Model():
            return fields_of(request, value)
        case _:
            return value


def fields_of(request, instance: models.Model, exclude=()) -> dict[str, object]:
    """The concrete fields of `instance` but a database id; a partial date's precision is
    given inside the date."""
    fields = [
        field
        for field in instance._meta.concrete_fields
        if not field.auto_created and field.name not in exclude
    ]
    precisions = {
        field.precision_attname for field in fields if isinstance(field, PartialDateField)
    }
    return {
        field.name: machine_value(
            request,
            getattr(instance, field.name)
            if field.is_relation
            else field.value_from_object(instance),
        )
        for field in fields
        if field.attname not in precisions
    }


def related_objects(record: Record, path: str) -> list[models.Model]:
    """What `path` leads to from `record`, through relations already loaded by `for_detail`."""
    objects = [record]
    for name in path.split("."):
        objects = [item for obj in objects for item in as_list(getattr(obj, name))]
    # Two paths may reach one object (two parties based in one city sign one agreement).
    return list(dict.fromkeys(objects))


def as_list(value) -> list:
    """A relation's value, whether a manager, a prefetched list or a single related object."""
    if isinstance(value, models.Manager):
        return list(value.all())
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def link_value(request, record: Record, link: models.Model, side: str) -> dict[str, object]:
    """A link row seen from `record`: the record at `side`, then the row's own fields but the
    one leading back to `record`."""
    back = [
        field.name
        for field in link._meta.concrete_fields
        if field.is_relation
        and isinstance(record, field.related_model)
        and getattr(link, field.attname) == record.pk
    ]
    return {
        **machine_value(request, getattr(link, side)),
        **fields_of(request, link, exclude=[side, *back]),
    }


@cache
def page_records(model: type[Record], drafts: bool, using: str) -> CompiledRecords:
    """`model`'s records by slug as their pages load them: for staff drafts too, for readers
    the reachable ones."""
    records = model.objects.for_detail()
    if not drafts:
        records = records.reachable()
    return CompiledRecords(lambda slugs: records.filter(slug__in=slugs), using, marker=TEXT_MARKER)


class RecordDetailView(RememberedPageMixin, DetailView):
    """A record's page, configured by `model`, `template_name`, the `relations` it shows and
    the values derived from its fields that its JSON adds (`json_derived`). Archived records
    stay reachable so that citations never break, and staff may preview drafts."""

    model: type[Record]
    relations: dict[str, Related] = {}
    json_derived: tuple[str, ...] = ()

    def get_object(self, queryset=None):
        records = page_records(self.model, self.request.user.is_staff, self.model.objects.db)
        record = records.get(self.kwargs[self.slug_url_kwarg])
        if record is None:
            raise Http404(f"No {self.model._meta.verbose_name} is found at this address.")
        return record

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "json":
            self.object = self.get_object()
            return JsonResponse(
                self.record_json(), json_dumps_params={"ensure_ascii": False, "indent": 2}
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            record_type=self.model._meta.verbose_name,
            is_archived=self.object.publication == Publication.ARCHIVED,
            page_url=self.request.build_absolute_uri(self.object.get_absolute_url()),
            relations=self.related(),
            # The document the API gives for `?format=jsonld`, for search engines and citers.
            json_ld=jsonld.as_script_text(jsonld.document(self.request, self.object)),
            changes=changes.record_changes(self.object),
        )
        return context

    def shown_relations(self) -> dict[str, Related]:
        """The model's relations, and the sources every record cites."""
        return {**self.relations, "sources": Related("citations", side="source")}

    def related(self) -> dict[str, list[models.Model]]:
        return {
            name: related_objects(self.object, relation.path)
            for name, relation in self.shown_relations().items()
        }

    def record_json(self) -> dict[str, object]:
        record, request = self.object, self.request
        values = {
            "url": request.build_absolute_uri(record.get_absolute_url()),
            "type": self.model._meta.verbose_name,
            **fields_of(request, record),
        }
        values.update(
            (name, machine_value(request, getattr(record, name))) for name in self.json_derived
        )
        relations = self.shown_relations()
        for name, objects in self.related().items():
            side = relations[name].side
            values[name] = [
                link_value(request, record, obj, side) if side else machine_value(request, obj)
                for obj in objects
            ]
        return values


class InitiativeDetailView(RecordDetailView):
    model = Initiative
    template_name = "catalogue/detail/initiative.html"
    relations = {
        "participants": Related("participations", side="actor"),
        "cities": Related("cities"),
        "countries": Related("countries"),
        "themes": Related("themes"),
        "sdgs": Related("sdgs"),
        "dimensions": Related("dimensions"),
        "drivers": Related("drivers"),
        "children": Related("children"),
        "courses": Related("courses"),
        "agreements": Related("agreements"),
    }


class ActorDetailView(RecordDetailView):
    model = Actor
    template_name = "catalogue/detail/actor.html"
    json_derived = ("sector",)
    relations = {
        "initiatives": Related("participations", side="initiative"),
        "agreements": Related("agreement_links", side="agreement"),
        "courses": Related("course_provisions", side="course"),
        "children": Related("children"),
    }


class CourseDetailView(RecordDetailView):
    model = Course
    template_name = "catalogue/detail/course.html"
    json_derived = ("state", "language_name")
    relations = {
        "providers": Related("provisions", side="actor"),
        "audiences": Related("audiences"),
    }


class AgreementDetailView(RecordDetailView):
    model = Agreement
    template_name = "catalogue/detail/agreement.html"
    json_derived = ("is_bilateral", "is_multilateral", "is_city_to_state")
    relations = {
        "parties": Related("published_party_links", side="actor"),
        "cities": Related("cities"),
        "initiatives": Related("initiatives"),
        "themes": Related("themes"),
    }


class CityDetailView(RecordDetailView):
    model = City
    template_name = "catalogue/detail/city.html"
    relations = {
        "initiatives": Related("initiatives"),
        "actors": Related("headquartered_actors"),
        "courses": Related("courses"),
        "agreements": Related("agreements"),
        "agreements_of_actors_based_here": Related(
            "headquartered_actors.agreement_links", side="agreement"
        ),
    }

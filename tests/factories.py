"""factory_boy factories for the catalogue's records, built on the loaded reference data."""

import factory

from catalogue import models


class RecordFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Record {n}")
    slug = factory.Sequence(lambda n: f"record-{n}")
    publication = models.Publication.PUBLISHED


class CityFactory(RecordFactory):
    class Meta:
        model = models.City

    country = factory.LazyFunction(lambda: models.Country.objects.get(code="CH"))
    latitude = 46.2
    longitude = 6.15


class ActorFactory(RecordFactory):
    class Meta:
        model = models.Actor

    kind = models.ActorKind.RESEARCH


class InitiativeFactory(RecordFactory):
    class Meta:
        model = models.Initiative

    kind = models.InitiativeKind.HUB
    status = models.InitiativeStatus.ACTIVE
    level = models.Level.CITY


class CourseFactory(RecordFactory):
    class Meta:
        model = models.Course

    kind = models.CourseKind.COURSE
    format = models.CourseFormat.IN_PERSON


class AgreementFactory(RecordFactory):
    class Meta:
        model = models.Agreement

    kind = models.AgreementKind.MOU
    status = models.AgreementStatus.SIGNED


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source {n}")
    author = "Example Publisher"
    kind = models.SourceKind.REPORT


# A factory of each kind of record, by model.
RECORD_FACTORIES = {
    factory_._meta.model: factory_
    for factory_ in (ActorFactory, AgreementFactory, CityFactory, CourseFactory, InitiativeFactory)
}

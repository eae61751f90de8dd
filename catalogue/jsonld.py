"""Records as JSON-LD in the schema.org vocabulary: one document per record, the same for the
API (`/api/v1/<kind>/<slug>/?format=jsonld`) and for the `<script type="application/ld+json">`
in the head of the record's page, so that both faces say the same thing.

`document()` hands a record to the builder of its model, one small function per kind of record
made from the shared helpers above them. The builders read only what the model's `for_detail()`
loads, so neither face makes a query for them, and show related records only when they are
published, as the page does. `@id` is the record's page; `url` is its own website.
"""

import datetime
import json
from collections.abc import Callable, Iterable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from catalogue.models import (
    Actor,
    ActorKind,
    Agreement,
    AgreementStatus,
    City,
    Country,
    Course,
    CourseFormat,
    Initiative,
    InitiativeKind,
    ParticipationRole,
    PartyRole,
    ProviderRole,
    Record,
)
from catalogue.partial_dates import PartialDate

SCHEMA_ORG = "https://schema.org"

# An intergovernmental organisation is made of governments and answers to them; a "university or
# research organisation" does not say which, and both do research; an academy or learned society
# sits in the research sector (see `SECTOR_OF_KIND`).
ACTOR_TYPES = {
    ActorKind.NATIONAL_GOVERNMENT: "GovernmentOrganization",
    ActorKind.LOCAL_GOVERNMENT: "GovernmentOrganization",
    ActorKind.INTERGOVERNMENTAL: "GovernmentOrganization",
    ActorKind.RESEARCH: "ResearchOrganization",
    ActorKind.ACADEMY: "ResearchOrganization",
    ActorKind.NON_PROFIT: "NGO",
    ActorKind.NETWORK: "Consortium",
    ActorKind.COMPANY: "Corporation",
    ActorKind.PERSON: "Person",
}
# Other kinds of initiative are a schema.org Project: "an enterprise … planned to achieve a
# particular aim", an Organization with members, founders and funders.
INITIATIVE_TYPES = {
    InitiativeKind.RESEARCH_CENTRE: "ResearchProject",
    InitiativeKind.FUND: "FundingScheme",
}
COURSE_MODES = {
    CourseFormat.IN_PERSON: "onsite",
    CourseFormat.ONLINE: "online",
    CourseFormat.HYBRID: "blended",
}
# Signed but not yet in force is not in force either; a text under negotiation has no legal
# force to speak of.
LEGAL_FORCE = {
    AgreementStatus.IN_FORCE: f"{SCHEMA_ORG}/InForce",
    AgreementStatus.SIGNED: f"{SCHEMA_ORG}/NotInForce",
    AgreementStatus.SUSPENDED: f"{SCHEMA_ORG}/NotInForce",
    AgreementStatus.ENDED: f"{SCHEMA_ORG}/NotInForce",
}
# Characters that would let a string end the <script> element or open a comment in it.
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def document(request: HttpRequest, record: Record) -> dict[str, object]:
    """The JSON-LD document of `record`."""
    return BUILDERS[type(record)](request, record)


def as_script_text(data: dict[str, object]) -> SafeString:
    """`data` as JSON that is safe inside `<script type="application/ld+json">`, escaped as
    Django's `json_script` escapes (it only writes `type="application/json"`)."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(SCRIPT_ESCAPES))


# Shared helpers


def schema_type(record: Record) -> str:
    if isinstance(record, Actor):
        return ACTOR_TYPES[record.kind]
    if isinstance(record, Initiative):
        return INITIATIVE_TYPES.get(record.kind, "Project")
    return {City: "City", Course: "Course", Agreement: "Legislation"}[type(record)]


def reference(request: HttpRequest, record: Record | None) -> dict[str, str] | None:
    """A related record in brief (its type, its page and its name), or None when there is none
    or it is not published."""
    if record is None or not record.is_published:
        return None
    return {
        "@type": schema_type(record),
        "@id": request.build_absolute_uri(record.get_absolute_url()),
        "name": record.name,
    }


def references(request: HttpRequest, records: Iterable[Record]) -> list[dict[str, str]]:
    """The published ones of `records`, each once, in brief."""
    return [reference(request, record) for record in dict.fromkeys(records) if record.is_published]


def country(value: Country | None) -> dict[str, str] | None:
    return value and {"@type": "Country", "name": value.name, "identifier": value.code}


def iso(value: PartialDate | datetime.date | int | None) -> str | None:
    """A date as ISO 8601 at the precision known: "2006-11-21", "2022-07" or a year, "2019"."""
    match value:
        case PartialDate():
            return value.iso
        case datetime.date():
            return value.isoformat()
        case int():
            return str(value)
        case _:
            return None


def without_empty(data: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def described(
    request: HttpRequest, record: Record, same_as: Iterable[str] = (), **properties
) -> dict[str, object]:
    """A record's document: what every record says of itself, then the `properties` of its
    type; empty values are left out. `same_as` adds identities besides Wikidata's."""
    wikidata = f"https://www.wikidata.org/wiki/{record.wikidata_id}" if record.wikidata_id else ""
    return without_empty(
        {
            "@context": SCHEMA_ORG,
            "@type": schema_type(record),
            "@id": request.build_absolute_uri(record.get_absolute_url()),
            "name": record.name,
            "alternateName": [
                name
                for name in (record.acronym, *record.alternative_names.splitlines())
                if name.strip()
            ],
            "description": record.summary or record.description,
            "url": record.website,
            "sameAs": [identity for identity in (wikidata, *same_as) if identity],
            **properties,
        }
    )


# One builder per kind of record


def actor(request: HttpRequest, actor: Actor) -> dict[str, object]:
    city = actor.city if actor.city and actor.city.is_published else None
    if actor.kind == ActorKind.PERSON:
        return described(
            request,
            actor,
            worksFor=reference(request, actor.parent),
            workLocation=reference(request, city),
        )
    address = without_empty(
        {"addressLocality": city.name if city else "", "addressCountry": actor.country_id or ""}
    )
    return described(
        request,
        actor,
        same_as=[f"https://ror.org/{actor.ror_id}"] if actor.ror_id else [],
        foundingDate=iso(actor.founded),
        parentOrganization=reference(request, actor.parent),
        subOrganization=references(request, actor.children.all()),
        location=reference(request, city),
        address={"@type": "PostalAddress", **address} if address else None,
    )


def city(request: HttpRequest, city: City) -> dict[str, object]:
    geo = (
        {"@type": "GeoCoordinates", "latitude": city.latitude, "longitude": city.longitude}
        if city.has_coordinates
        else None
    )
    return described(
        request,
        city,
        same_as=[f"https://www.geonames.org/{city.geonames_id}"] if city.geonames_id else [],
        geo=geo,
        containedInPlace=country(city.country),
    )


def course(request: HttpRequest, course: Course) -> dict[str, object]:
    """An edition is both the course and its one instance: when and how it is given."""
    provisions = course.provisions.all()
    instance = without_empty(
        {
            "@type": "CourseInstance",
            "courseMode": COURSE_MODES.get(course.format),
            "startDate": iso(course.starts_on),
            "endDate": iso(course.ends_on),
            "location": reference(request, course.city),
        }
    )
    return described(
        request,
        course,
        provider=references(
            request, [link.actor for link in provisions if link.role != ProviderRole.FUNDER]
        ),
        funder=references(
            request, [link.actor for link in provisions if link.role == ProviderRole.FUNDER]
        ),
        hasCourseInstance=[instance],
        audience=[
            {"@type": "Audience", "audienceType": audience.name}
            for audience in course.audiences.all()
        ],
        inLanguage=course.language,
        isAccessibleForFree=course.is_free,
    )


def initiative(request: HttpRequest, initiative: Initiative) -> dict[str, object]:
    """A Project, an Organization: its participants are founders, funders or members (leads,
    hosts and partners included)."""
    participations = initiative.participations.all()

    def in_role(*roles: ParticipationRole) -> list[dict[str, str]]:
        return references(request, [link.actor for link in participations if link.role in roles])

    return described(
        request,
        initiative,
        foundingDate=iso(initiative.start_year),
        dissolutionDate=iso(initiative.end_year),
        parentOrganization=reference(request, initiative.parent),
        subOrganization=references(request, initiative.children.all()),
        founder=in_role(ParticipationRole.FOUNDER),
        funder=in_role(ParticipationRole.FUNDER),
        member=in_role(
            ParticipationRole.LEAD,
            ParticipationRole.HOST,
            ParticipationRole.PARTNER,
            ParticipationRole.MEMBER,
        ),
        location=references(request, initiative.cities.all()),
        areaServed=[country(value) for value in initiative.countries.all()],
        keywords=[theme.name for theme in initiative.themes.all()],
    )


def agreement(request: HttpRequest, agreement: Agreement) -> dict[str, object]:
    """A schema.org Legislation rather than a bare CreativeWork: "a legal document … (enforceable
    or not)", which covers treaties and non-binding memoranda alike, and whose properties say what
    a catalogue of agreements knows: when it was signed (`legislationDate`), whether it is in
    force (`legislationLegalForce`), who made it (`legislationPassedBy`: the parties and
    signatories) and what kind it is (`legislationType`). Entry into force is given as
    `legislationDateOfApplicability`, the day from which it applies; the end as `expires`. Tools
    that do not know Legislation still read a CreativeWork, its parent type."""
    makers = [
        link.actor
        for link in agreement.published_party_links
        if link.role in (PartyRole.PARTY, PartyRole.SIGNATORY)
    ]
    return described(
        request,
        agreement,
        legislationType=agreement.get_kind_display(),
        legislationDate=iso(agreement.signed),
        legislationDateOfApplicability=iso(agreement.in_force),
        expires=iso(agreement.ended),
        legislationLegalForce=LEGAL_FORCE.get(agreement.status),
        legislationPassedBy=references(request, makers),
        spatialCoverage=references(request, agreement.cities.all()),
        about=references(request, agreement.initiatives.all()),
        keywords=[theme.name for theme in agreement.themes.all()],
    )


BUILDERS: dict[type[Record], Callable[[HttpRequest, Record], dict[str, object]]] = {
    Actor: actor,
    City: city,
    Course: course,
    Initiative: initiative,
    Agreement: agreement,
}

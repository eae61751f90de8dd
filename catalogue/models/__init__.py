"""The catalogue's models, one module per kind of record."""

from catalogue.models.actors import Actor, ActorCitation, ActorKind, Sector
from catalogue.models.agreements import (
    Agreement,
    AgreementCitation,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    PartyRole,
)
from catalogue.models.base import Publication, Record
from catalogue.models.cities import Approach, City, CityCitation, Strategy
from catalogue.models.courses import (
    Course,
    CourseCitation,
    CourseFormat,
    CourseKind,
    CourseProvider,
    CourseState,
    ProviderRole,
)
from catalogue.models.curation import (
    ImportJob,
    ImportState,
    LinkCheck,
    Version,
    VersionAction,
)
from catalogue.models.initiatives import (
    Initiative,
    InitiativeCitation,
    InitiativeKind,
    InitiativeStatus,
    Level,
    Participation,
    ParticipationRole,
)
from catalogue.models.reference import (
    SDG,
    Audience,
    Country,
    Dimension,
    Driver,
    Source,
    SourceKind,
    Theme,
)
from catalogue.models.revision import Revision
from catalogue.models.search import (
    ActorSearch,
    AgreementSearch,
    CitySearch,
    CourseSearch,
    InitiativeSearch,
)

__all__ = [
    "SDG",
    "Actor",
    "ActorCitation",
    "ActorKind",
    "ActorSearch",
    "Agreement",
    "AgreementCitation",
    "AgreementKind",
    "AgreementParty",
    "AgreementSearch",
    "AgreementStatus",
    "Approach",
    "Audience",
    "City",
    "CityCitation",
    "CitySearch",
    "Country",
    "Course",
    "CourseCitation",
    "CourseFormat",
    "CourseKind",
    "CourseProvider",
    "CourseSearch",
    "CourseState",
    "Dimension",
    "Driver",
    "ImportJob",
    "ImportState",
    "Initiative",
    "InitiativeCitation",
    "InitiativeKind",
    "InitiativeSearch",
    "InitiativeStatus",
    "Level",
    "LinkCheck",
    "Participation",
    "ParticipationRole",
    "PartyRole",
    "ProviderRole",
    "Publication",
    "Record",
    "Revision",
    "Sector",
    "Source",
    "SourceKind",
    "Strategy",
    "Theme",
    "Version",
    "VersionAction",
]

"""Record pages for readers: facts in plain language, relations both ways (published records
only), sources, verification, citation, the JSON face, and a query count that does not grow with
the number of relations."""

import datetime
import html
import json
import re

import pytest
from django.utils import timezone
from django.utils.dateformat import format as format_date

from catalogue.models import (
    Actor,
    Agreement,
    AgreementParty,
    City,
    Course,
    CourseProvider,
    Initiative,
    InitiativeCitation,
    Participation,
    ParticipationRole,
    PartyRole,
    ProviderRole,
    Publication,
    Source,
    Theme,
)
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

DRAFT = Publication.DRAFT


def page_text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def get_page(client, record) -> str:
    return page_text(client.get(record.get_absolute_url()))


def get_json(client, record) -> dict:
    response = client.get(record.get_absolute_url(), {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def section(text: str, heading_id: str) -> str:
    """The HTML of the section labelled by `heading_id`."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', text, flags=re.DOTALL
    )
    assert match, f"no section labelled {heading_id}"
    return match.group(0)


def link(record) -> str:
    return f'href="{record.get_absolute_url()}"'


def slugs(items) -> set[str]:
    return {item["slug"] for item in items}


# Initiatives


def test_initiative_page_shows_its_facts_and_tags(client):
    gesda = Initiative.objects.get(slug="gesda")
    text = get_page(client, gesda)
    assert "Programme at city level, active" in text
    assert "<dt>Level of governance</dt><dd>City</dd>" in text
    assert link(City.objects.get(slug="geneva")) in text
    assert "Switzerland" in text
    assert 'href="/themes/science-policy-interface/"' in text
    assert "Global challenges" in text
    assert 'href="https://gesda.global/" rel="external"' in text


def test_the_status_says_as_of_when_a_source_stated_it(client):
    dated = InitiativeFactory(status="active", status_as_of=2021, kind="hub", level="city")
    text = get_page(client, dated)
    assert "Hub at city level, active (as of 2021)" in text
    assert re.search(r"<dt>Status</dt><dd>Active <span[^>]*>\(as of 2021\)</span></dd>", text)
    assert get_json(client, dated)["status_as_of"] == 2021
    undated = InitiativeFactory(status="planned", status_as_of=None)
    text = get_page(client, undated)
    assert "<dt>Status</dt><dd>Planned</dd>" in text and "as of" not in text
    agreement = AgreementFactory(status="in_force", status_as_of=2022, kind="treaty")
    text = get_page(client, agreement)
    assert "Treaty, in force (as of 2022)" in text
    assert re.search(r"<dt>Status</dt><dd>In force <span[^>]*>\(as of 2022\)</span></dd>", text)
    assert get_json(client, agreement)["status_as_of"] == 2022


def test_initiative_page_groups_participants_by_role(client):
    office = Initiative.objects.get(slug="gca-miami-office")
    participants = section(get_page(client, office), "who-takes-part-heading")
    lead, rest = participants.split("<dt>Founder</dt>")
    founders, hosts = rest.split("<dt>Host</dt>")
    assert "<dt>Lead</dt>" in lead
    assert link(Actor.objects.get(slug="global-centre-on-adaptation")) in lead
    assert link(
        Actor.objects.get(slug="dutch-ministry-of-infrastructure-and-water-management")
    ) in (founders)
    assert link(Actor.objects.get(slug="city-of-miami")) in founders
    assert link(Actor.objects.get(slug="city-of-miami")) in hosts


def test_initiative_page_shows_its_relations_both_ways(client):
    programme = Initiative.objects.get(slug="aaas-twas-science-diplomacy-programme")
    child = InitiativeFactory(name="Alumni network", parent=programme)
    actor = ActorFactory(name="Partner academy")
    Participation.objects.create(
        initiative=programme,
        actor=actor,
        role=ParticipationRole.MEMBER,
        start_year=2015,
        end_year=2020,
    )
    text = get_page(client, programme)
    assert link(child) in section(text, "initiatives-within-it-heading")
    assert "2015–2020" in section(text, "who-takes-part-heading")
    courses = section(text, "courses-heading")
    for course in Course.objects.filter(initiative=programme):
        assert link(course) in courses
    assert "20–23 June 2023" in courses
    assert "25 July – 3 August 2022" in courses
    child_text = get_page(client, child)
    assert f"<dt>Part of</dt><dd><a {link(programme)}>" in child_text

    office = Initiative.objects.get(slug="gca-miami-office")
    agreements = section(get_page(client, office), "agreements-that-establish-or-govern-it-heading")
    assert link(Agreement.objects.get(slug="miami-dutch-ministry-gca-office-agreement-2019")) in (
        agreements
    )
    assert "host agreement · signed 2019" in agreements


def test_initiative_page_leaves_out_unpublished_records(client):
    gesda = Initiative.objects.get(slug="gesda")
    draft_actor = ActorFactory(name="Hidden foundation", publication=DRAFT)
    Participation.objects.create(initiative=gesda, actor=draft_actor, role=ParticipationRole.FUNDER)
    draft_child = InitiativeFactory(name="Hidden child", parent=gesda, publication=DRAFT)
    draft_parent = InitiativeFactory(name="Hidden parent", publication=DRAFT)
    child = InitiativeFactory(name="Visible child", parent=draft_parent)
    gesda.cities.add(CityFactory(name="Hidden city", publication=DRAFT))

    text = get_page(client, gesda)
    for name in ("Hidden foundation", "Hidden child", "Hidden city", "Funder"):
        assert name not in text
    assert "Hidden parent" not in get_page(client, child)
    data = get_json(client, gesda)
    assert draft_actor.slug not in slugs(data["participants"])
    assert draft_child.slug not in slugs(data["children"])
    assert get_json(client, child)["parent"] is None


# Actors


def test_actor_page_shows_its_facts(client):
    twas = Actor.objects.get(slug="twas")
    text = get_page(client, twas)
    assert "Academy or learned society based in Trieste, Italy" in text
    assert "<dt>Sector</dt><dd>Research</dd>" in text
    assert "<dt>Acronym</dt><dd>TWAS</dd>" in text
    assert f"<dt>Headquarters</dt><dd><a {link(City.objects.get(slug='trieste'))}>" in text

    assert "founded 2011" in get_page(client, Actor.objects.get(slug="skoltech"))

    actor = ActorFactory(ror_id="05gq02987", wikidata_id="Q42")
    text = get_page(client, actor)
    assert 'href="https://ror.org/05gq02987"' in text
    assert 'href="https://www.wikidata.org/wiki/Q42"' in text


def test_actor_page_shows_parent_and_children(client):
    fcdo = Actor.objects.get(slug="fcdo")
    text = get_page(client, fcdo)
    assert f"<dt>Part of</dt><dd><a {link(Actor.objects.get(slug='uk-government'))}>" in text
    network = Actor.objects.get(slug="uk-science-and-innovation-network")
    assert link(network) in section(text, "bodies-within-it-heading")


def test_actor_page_lists_its_courses_and_initiatives_with_its_roles(client):
    twas = Actor.objects.get(slug="twas")
    text = get_page(client, twas)
    courses = section(text, "courses-heading")
    for course in Course.objects.filter(providers=twas).distinct():
        assert link(course) in courses
    assert "as organiser, host" in courses
    initiatives = section(text, "initiatives-heading")
    assert link(Initiative.objects.get(slug="aaas-twas-science-diplomacy-programme")) in (
        initiatives
    )


def test_actor_page_lists_its_agreements_with_its_dated_actions(client):
    china = Actor.objects.get(slug="china-government")
    iter_agreement = Agreement.objects.get(slug="iter-agreement")
    AgreementParty.objects.filter(agreement=iter_agreement, actor=china).update(
        joined_on=datetime.date(2007, 1, 1), joined_on_precision="year"
    )
    agreements = section(get_page(client, china), "agreements-heading")
    assert link(iter_agreement) in agreements
    assert "<td>party</td>" in agreements
    assert "<td>21 November 2006</td>" in agreements
    assert "<td>2007</td>" in agreements

    links = {item["slug"]: item for item in get_json(client, china)["agreements"]}
    assert links["iter-agreement"]["role"] == "party"
    assert links["iter-agreement"]["joined_on"]["display"] == "2007"


def test_actor_page_leaves_out_unpublished_records(client):
    twas = Actor.objects.get(slug="twas")
    draft_course = CourseFactory(name="Hidden course", publication=DRAFT)
    CourseProvider.objects.create(course=draft_course, actor=twas, role=ProviderRole.HOST)
    draft_agreement = AgreementFactory(name="Hidden agreement", publication=DRAFT)
    AgreementParty.objects.create(agreement=draft_agreement, actor=twas)
    draft_initiative = InitiativeFactory(name="Hidden initiative", publication=DRAFT)
    Participation.objects.create(initiative=draft_initiative, actor=twas, role="member")
    ActorFactory(name="Hidden branch", parent=twas, publication=DRAFT)

    text = get_page(client, twas)
    for name in ("Hidden course", "Hidden agreement", "Hidden initiative", "Hidden branch"):
        assert name not in text
    data = get_json(client, twas)
    assert draft_course.slug not in slugs(data["courses"])
    assert data["agreements"] == []


# Courses


def test_course_page_shows_its_facts(client):
    course = Course.objects.get(slug="aaas-twas-science-diplomacy-course-2023")
    text = get_page(client, course)
    assert "<dt>Dates</dt><dd>20–23 June 2023</dd>" in text
    assert "Past" in text
    assert "<dt>Edition</dt><dd>10</dd>" in text
    assert "<dt>Format</dt><dd>In person</dd>" in text
    assert f"<dt>City</dt><dd><a {link(City.objects.get(slug='trieste'))}>Trieste</a>" in text
    assert "Early-career researchers" in text
    programme = Initiative.objects.get(slug="aaas-twas-science-diplomacy-programme")
    assert f"<dt>Part of</dt><dd><a {link(programme)}>" in text
    providers = section(text, "who-provides-it-heading")
    organisers, hosts = providers.split("<dt>Host</dt>")
    assert link(Actor.objects.get(slug="aaas")) in organisers
    assert link(Actor.objects.get(slug="twas")) in hosts

    workshop = Course.objects.get(slug="opcw-iap-twas-workshop-responsible-chemistry-biology")
    assert "dates not known" in get_page(client, workshop)


def test_course_page_shows_deadline_language_fee_and_state(client):
    today = timezone.localdate()
    course = CourseFactory(
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=34),
        application_deadline=today + datetime.timedelta(days=10),
        language="es",
        is_free=True,
    )
    text = get_page(client, course)
    assert "Open for application" in text
    assert format_date(course.application_deadline, "j F Y") in text
    assert "<dt>Language</dt><dd>Spanish</dd>" in text
    assert "Free of charge" in text
    assert "EUR 300" in get_page(client, CourseFactory(is_free=False, fee="EUR 300"))


def test_course_page_leaves_out_a_draft_city_and_providers(client):
    city = CityFactory(name="Hidden town", publication=DRAFT)
    course = CourseFactory(city=city)
    CourseProvider.objects.create(
        course=course, actor=ActorFactory(name="Hidden host", publication=DRAFT), role="host"
    )
    text = get_page(client, course)
    assert "Hidden town" not in text
    assert "Hidden host" not in text
    data = get_json(client, course)
    assert data["city"] is None
    assert data["providers"] == []


# Agreements


def test_agreement_page_shows_dates_with_their_precision_and_its_parties(client):
    iter_agreement = Agreement.objects.get(slug="iter-agreement")
    text = get_page(client, iter_agreement)
    assert "<dt>Signed</dt><dd>21 November 2006</dd>" in text
    assert "<dt>In force from</dt><dd>24 October 2007</dd>" in text
    assert "multilateral" in text
    parties = section(text, "parties-heading")
    bound = iter_agreement.party_links.filter(role=PartyRole.PARTY)
    assert bound.count() == 7
    for party in bound:
        assert link(party.actor) in parties
    assert parties.count("<td>21 November 2006</td>") == 7
    assert "<td>depositary</td>" in parties
    assert link(City.objects.get(slug="saint-paul-les-durance")) in text
    assert link(Initiative.objects.get(slug="iter")) in text

    arrangement = Agreement.objects.get(
        slug="uk-new-zealand-research-science-innovation-arrangement-2022"
    )
    text = get_page(client, arrangement)
    assert "<dt>Signed</dt><dd>July 2022</dd>" in text
    assert "Two parties (bilateral)" in text

    miami = Agreement.objects.get(slug="miami-dutch-ministry-gca-office-agreement-2019")
    text = get_page(client, miami)
    assert "<dt>Signed</dt><dd>2019</dd>" in text
    assert "city-to-state" in text
    assert 'href="/themes/climate-adaptation/"' in text


def test_agreement_page_leaves_out_draft_parties_but_stays_bilateral(client):
    agreement = AgreementFactory()
    AgreementParty.objects.create(agreement=agreement, actor=ActorFactory(name="Public party"))
    hidden = ActorFactory(name="Hidden party", publication=DRAFT)
    AgreementParty.objects.create(agreement=agreement, actor=hidden)
    text = get_page(client, agreement)
    assert "Public party" in text
    assert "Hidden party" not in text
    assert "Two parties (bilateral)" in text
    data = get_json(client, agreement)
    assert hidden.slug not in slugs(data["parties"])
    assert data["is_bilateral"] is True


# Cities


def test_city_page_lists_everything_located_there(client):
    miami = City.objects.get(slug="miami")
    text = get_page(client, miami)
    assert "United States of America" in text
    assert "Americas › Northern America" in text
    assert "25.7743° N, 80.1937° W" in text
    assert 'href="https://www.geonames.org/4164138"' in text
    assert "Individual initiatives only" in text
    assert "Climate adaptation and mitigation" in text
    office = Initiative.objects.get(slug="gca-miami-office")
    agreement = Agreement.objects.get(slug="miami-dutch-ministry-gca-office-agreement-2019")
    assert link(office) in section(text, "initiatives-heading")
    assert link(Actor.objects.get(slug="city-of-miami")) in section(
        text, "actors-based-here-heading"
    )
    assert link(agreement) in section(text, "agreements-heading")
    signed_here = section(text, "local-agreements-heading")
    assert link(agreement) in signed_here
    ministry = Actor.objects.get(slug="dutch-ministry-of-infrastructure-and-water-management")
    assert link(ministry) in signed_here
    for url in ("/initiatives/?city=miami", "/actors/?city=miami", "/agreements/?city=miami"):
        assert f'href="{url}"' in text
        assert client.get(url).status_code == 200

    trieste = City.objects.get(slug="trieste")
    text = get_page(client, trieste)
    courses = section(text, "courses-held-here-heading")
    for course in Course.objects.filter(city=trieste):
        assert link(course) in courses
    assert 'href="/courses/?city=trieste"' in text


def test_city_page_says_what_actors_based_there_signed_and_with_whom(client):
    geneva = City.objects.get(slug="geneva")
    city_of_geneva = Actor.objects.get(slug="city-of-geneva")
    partner = ActorFactory(name="Partner city of Nairobi")
    accord = AgreementFactory(name="Geneva–Nairobi science accord")
    AgreementParty.objects.create(agreement=accord, actor=city_of_geneva)
    AgreementParty.objects.create(agreement=accord, actor=partner)
    hidden = AgreementFactory(name="Hidden accord", publication=DRAFT)
    AgreementParty.objects.create(agreement=hidden, actor=city_of_geneva)

    text = get_page(client, geneva)
    signed_here = section(text, "local-agreements-heading")
    assert link(accord) in signed_here
    assert link(partner) in signed_here
    assert "Hidden accord" not in text
    data = get_json(client, geneva)
    [item] = data["agreements_of_actors_based_here"]
    assert item["slug"] == accord.slug
    assert item["actor"]["slug"] == "city-of-geneva"
    assert item["role"] == "party"


def test_city_page_leaves_out_unpublished_records(client):
    city = CityFactory()
    InitiativeFactory(name="Hidden project", publication=DRAFT).cities.add(city)
    ActorFactory(name="Hidden institute", city=city, publication=DRAFT)
    CourseFactory(name="Hidden school", city=city, publication=DRAFT)
    AgreementFactory(name="Hidden pact", publication=DRAFT).cities.add(city)
    text = get_page(client, city)
    for name in ("Hidden project", "Hidden institute", "Hidden school", "Hidden pact"):
        assert name not in text
    data = get_json(client, city)
    for relation in ("initiatives", "actors", "courses", "agreements"):
        assert data[relation] == []


# What every record page has


def test_sources_are_linked_with_their_locators(client):
    iter_agreement = Agreement.objects.get(slug="iter-agreement")
    text = section(get_page(client, iter_agreement), "sources-heading")
    status = Source.objects.get(slug="iter-status-of-organization")
    assert f'<a href="{status.url}" rel="external">{status.title}</a>' in text
    assert "At: Constitutive agreements." in text
    assert "Science diplomacy: an overview" in text

    cidob = section(get_page(client, City.objects.get(slug="miami")), "sources-heading")
    assert "Hannah Abdullah; Alexis Roig, CIDOB, October 2021." in cidob


@pytest.mark.parametrize(("age", "overdue"), [(None, True), (730, True), (30, False), (0, False)])
def test_verification_notice(client, age, overdue):
    today = timezone.localdate()
    verified = None if age is None else today - datetime.timedelta(days=age)
    record = InitiativeFactory(last_verified=verified)
    text = get_page(client, record)
    assert ("may be out of date" in text) is overdue
    if verified:
        assert f"Last verified {format_date(verified, 'j F Y')}" in text
    else:
        assert "Not yet verified" in text


def test_archived_record_has_a_notice_and_drafts_are_not_found(client):
    archived = AgreementFactory(publication=Publication.ARCHIVED)
    assert "This record is archived" in get_page(client, archived)
    assert get_json(client, archived)["publication"] == "archived"
    draft = CityFactory(publication=DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(draft.get_absolute_url(), {"format": "json"}).status_code == 404


def test_staff_preview_drafts(curator_client):
    draft = ActorFactory(publication=DRAFT)
    assert "readers do not see it yet" in get_page(curator_client, draft)
    assert get_json(curator_client, draft)["publication"] == "draft"


def test_citation_is_ready_to_copy(client):
    gesda = Initiative.objects.get(slug="gesda")
    text = get_page(client, gesda)
    updated = format_date(timezone.localtime(gesda.updated_at), "j F Y")
    today = format_date(timezone.localdate(), "j F Y")
    citation = (
        "Sciplo. “Geneva Science and Diplomacy Anticipator” (initiative). "
        f"Last updated {updated}. http://testserver/initiatives/gesda/ (accessed {today})."
    )
    assert re.search(
        r'<textarea id="citation-text"[^>]*readonly>' + re.escape(citation) + "</textarea>", text
    )
    assert re.search(r'<button type="button"[^>]*data-copy="citation-text" hidden>Copy', text)
    assert "/static/catalogue/detail.js" in text
    assert 'href="/initiatives/gesda/?format=json"' in text


# JSON


def test_json_gives_fields_as_machine_values(client):
    arrangement = Agreement.objects.get(
        slug="uk-new-zealand-research-science-innovation-arrangement-2022"
    )
    data = get_json(client, arrangement)
    assert data["url"] == "http://testserver" + arrangement.get_absolute_url()
    assert data["slug"] == arrangement.slug
    assert data["name"] == arrangement.name
    assert data["kind"] == "cooperation"
    assert data["signed_on"] == {"date": "2022-07-01", "precision": "month", "display": "July 2022"}
    assert data["in_force_on"] is None
    assert data["last_verified"] == "2026-11-21"
    assert data["is_bilateral"] is True
    assert slugs(data["parties"]) == {"uk-government", "new-zealand-government"}
    assert {party["role"] for party in data["parties"]} == {"party"}
    assert {
        "slug": "innovation-and-entrepreneurship",
        "name": Theme.objects.get(slug="innovation-and-entrepreneurship").name,
        "url": "http://testserver/themes/innovation-and-entrepreneurship/",
    } in data["themes"]
    assert [theme["slug"] for theme in data["themes"]] == sorted(
        arrangement.themes.values_list("slug", flat=True),
        key=lambda slug: Theme.objects.get(slug=slug).name,
    )
    [source] = data["sources"]
    assert source["slug"] == "post-science-diplomacy-overview"
    assert source["locator"].startswith("Science diplomacy in a changing world")


def test_json_of_each_kind_of_record(client):
    iter_data = get_json(client, Agreement.objects.get(slug="iter-agreement"))
    assert iter_data["signed_on"]["precision"] == "day"
    parties = {party["slug"]: party for party in iter_data["parties"]}
    assert parties["euratom"]["signed_on"]["display"] == "21 November 2006"
    assert parties["iaea"]["role"] == "depositary"
    assert parties["iaea"]["url"] == "http://testserver/actors/iaea/"

    office = get_json(client, Initiative.objects.get(slug="gca-miami-office"))
    roles = {(item["slug"], item["role"]) for item in office["participants"]}
    assert ("city-of-miami", "host") in roles
    assert ("city-of-miami", "founder") in roles
    assert {country["code"] for country in office["countries"]} == {"NL", "US"}
    assert {sdg["number"] for sdg in office["sdgs"]} == {11, 13}

    twas = get_json(client, Actor.objects.get(slug="twas"))
    assert twas["sector"] == "research"
    assert twas["city"]["slug"] == "trieste"
    assert twas["country"]["code"] == "IT"
    assert ("aaas-twas-science-diplomacy-course-2023", "host") in {
        (item["slug"], item["role"]) for item in twas["courses"]
    }

    course = get_json(client, Course.objects.get(slug="aaas-twas-science-diplomacy-course-2023"))
    assert course["starts_on"] == "2023-06-20"
    assert course["state"] == "past"
    assert course["initiative"]["slug"] == "aaas-twas-science-diplomacy-programme"

    miami = get_json(client, City.objects.get(slug="miami"))
    assert miami["geonames_id"] == 4164138
    assert slugs(miami["initiatives"]) == {"gca-miami-office"}
    assert slugs(miami["agreements_of_actors_based_here"]) == {
        "miami-dutch-ministry-gca-office-agreement-2019"
    }


# Query counts: the same whatever the number of relations


def initiative_with(count: int) -> Initiative:
    initiative = InitiativeFactory()
    source = SourceFactory()
    for index in range(count):
        Participation.objects.create(
            initiative=initiative, actor=ActorFactory(), role=ParticipationRole.PARTNER
        )
        initiative.cities.add(CityFactory())
        initiative.themes.add(Theme.objects.order_by("slug")[index])
        initiative.sdgs.add(index + 1)
        InitiativeFactory(parent=initiative)
        CourseFactory(initiative=initiative)
        AgreementFactory().initiatives.add(initiative)
        InitiativeCitation.objects.create(record=initiative, source=source, locator=f"p. {index}")
    return initiative


def actor_with(count: int) -> Actor:
    actor = ActorFactory(city=CityFactory(), parent=ActorFactory())
    for _ in range(count):
        Participation.objects.create(
            initiative=InitiativeFactory(), actor=actor, role=ParticipationRole.MEMBER
        )
        AgreementParty.objects.create(agreement=AgreementFactory(), actor=actor)
        CourseProvider.objects.create(course=CourseFactory(), actor=actor, role="organiser")
        ActorFactory(parent=actor)
    return actor


def course_with(count: int) -> Course:
    course = CourseFactory(city=CityFactory(), initiative=InitiativeFactory())
    for _ in range(count):
        CourseProvider.objects.create(course=course, actor=ActorFactory(), role="partner")
    return course


def agreement_with(count: int) -> Agreement:
    agreement = AgreementFactory()
    for _ in range(count):
        AgreementParty.objects.create(agreement=agreement, actor=ActorFactory())
        agreement.cities.add(CityFactory())
        agreement.initiatives.add(InitiativeFactory())
    return agreement


def city_with(count: int) -> City:
    city = CityFactory()
    for _ in range(count):
        InitiativeFactory().cities.add(city)
        actor = ActorFactory(city=city)
        agreement = AgreementFactory()
        AgreementParty.objects.create(agreement=agreement, actor=actor)
        AgreementParty.objects.create(agreement=agreement, actor=ActorFactory())
        CourseFactory(city=city)
        AgreementFactory().cities.add(city)
    return city


@pytest.mark.parametrize(
    ("build", "queries"),
    [
        (initiative_with, 12),
        (actor_with, 8),
        (course_with, 4),
        (agreement_with, 7),
        (city_with, 10),
    ],
    ids=["initiative", "actor", "course", "agreement", "city"],
)
@pytest.mark.parametrize("data_format", ["html", "json"])
def test_query_count_does_not_grow_with_relations(
    client, django_assert_num_queries, build, queries, data_format
):
    params = {"format": "json"} if data_format == "json" else {}
    # The revision token, and for the page (not its JSON) the record's latest public changes.
    queries += 2 if data_format == "html" else 1
    for record in (build(1), build(5)):
        with django_assert_num_queries(queries):
            response = client.get(record.get_absolute_url(), params)
        assert response.status_code == 200
        # Asked again, the answer is remembered: only the token is read.
        with django_assert_num_queries(1):
            again = client.get(record.get_absolute_url(), params)
        assert again.content == response.content


def test_party_tables_date_a_bilateral_agreements_parties_by_the_agreement(client):
    """The two parties of a bilateral agreement sign its one text together: where a party
    records no signature of its own, both tables (the agreement's parties, a party's
    agreements) show the agreement's date and say so; a party of a multilateral agreement is
    not given it; a date column with no date in any row is left out."""
    bilateral = AgreementFactory(signed_on=datetime.date(2018, 10, 18), signed_on_precision="day")
    first, second = ActorFactory(name="First party"), ActorFactory(name="Second party")
    for actor in (first, second):
        AgreementParty.objects.create(agreement=bilateral, actor=actor)
    parties = section(get_page(client, bilateral), "parties-heading")
    assert parties.count('18 October 2018 <span class="muted">(the agreement’s date') == 2
    assert '<th scope="col">Signed</th>' in parties
    assert "Ratified or joined" not in parties and "Withdrew" not in parties
    agreements = section(get_page(client, first), "agreements-heading")
    assert '18 October 2018 <span class="muted">(the agreement’s date' in agreements

    multilateral = AgreementFactory(
        signed_on=datetime.date(2006, 11, 21), signed_on_precision="day"
    )
    for actor in (first, second, ActorFactory()):
        AgreementParty.objects.create(agreement=multilateral, actor=actor)
    AgreementParty.objects.filter(agreement=multilateral, actor=second).update(
        joined_on=datetime.date(2007, 1, 1), joined_on_precision="year"
    )
    parties = section(get_page(client, multilateral), "parties-heading")
    assert "2006" not in parties and "Signed" not in parties
    assert '<th scope="col">Ratified or joined</th>' in parties
    assert parties.count("not recorded") == 2
    agreements = section(get_page(client, first), "agreements-heading")
    assert agreements.count("the agreement’s date") == 1

"""The data-quality checks, their "needs attention" filter in each record list, and the curators'
dashboard that counts them: each count is right and links to a list of exactly those records."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from catalogue.models import (
    Actor,
    Agreement,
    AgreementStatus,
    City,
    Initiative,
    InitiativeCitation,
    InitiativeStatus,
    LinkCheck,
    Publication,
)
from catalogue.quality import CHECKS, STATUS_STALE_AFTER_YEARS, Concern, check_of, checks_of
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"
FACTORIES = [CityFactory, ActorFactory, InitiativeFactory, CourseFactory, AgreementFactory]
BROKEN_WEBSITE = "https://broken.example.org/"
BROKEN_SOURCE = "https://broken.example.org/report.pdf"


def broken_urls() -> set[str]:
    return set(LinkCheck.objects.filter(is_broken=True).values_list("url", flat=True))


def status_stale(record) -> bool:
    """A status that can still change, stated more than the allowed number of calendar years
    before this one, or never dated."""
    if record.status in (InitiativeStatus.COMPLETED, AgreementStatus.ENDED):
        return False
    this_year = timezone.localdate().year
    return record.status_as_of is None or this_year - record.status_as_of > STATUS_STALE_AFTER_YEARS


# What each check means, said again record by record, in Python.
FAILS = {
    "no_sources": lambda record: not record.citations.exists(),
    "no_coordinates": lambda city: city.latitude is None or city.longitude is None,
    "no_themes": lambda initiative: not initiative.themes.exists(),
    "no_actors": lambda initiative: not initiative.participations.exists(),
    "no_parties": lambda agreement: not agreement.party_links.exists(),
    "no_dates": lambda course: course.starts_on is None,
    "never_verified": lambda record: record.last_verified is None,
    "verification_overdue": lambda record: (
        record.last_verified is not None and record.is_verification_overdue
    ),
    "status_stale": status_stale,
    "broken_links": lambda record: (
        record.website in broken_urls()
        or any(citation.source.url in broken_urls() for citation in record.citations.all())
    ),
}


@pytest.fixture
def records_needing_attention():
    """For every record model, records failing each of its checks."""
    now = timezone.now()
    LinkCheck.objects.create(url=BROKEN_WEBSITE, status_code=404, is_broken=True, checked_at=now)
    LinkCheck.objects.create(url=BROKEN_SOURCE, error="timed out", is_broken=True, checked_at=now)
    LinkCheck.objects.create(
        url="https://fine.example.org/", status_code=200, is_broken=False, checked_at=now
    )
    broken_source = SourceFactory(url=BROKEN_SOURCE)
    stale = timezone.localdate() - datetime.timedelta(days=500)
    for factory in FACTORIES:
        factory(last_verified=None, website=BROKEN_WEBSITE)
        factory(last_verified=stale, website="https://fine.example.org/")
        citing = factory(last_verified=timezone.localdate())
        citing.citations.create(source=broken_source)
    CityFactory(latitude=None, longitude=None)
    this_year = timezone.localdate().year
    for factory in (InitiativeFactory, AgreementFactory):
        factory(status_as_of=this_year)
        factory(status_as_of=this_year - STATUS_STALE_AFTER_YEARS - 1)
    InitiativeFactory(status=InitiativeStatus.COMPLETED, status_as_of=2001)
    AgreementFactory(status=AgreementStatus.ENDED, status_as_of=None)


def test_every_model_has_its_checks():
    assert {(check.model.__name__, check.slug) for check in CHECKS} >= {
        ("City", "no_coordinates"),
        ("Initiative", "no_themes"),
        ("Initiative", "no_actors"),
        ("Agreement", "no_parties"),
        ("Course", "no_dates"),
        ("Initiative", "status_stale"),
        ("Agreement", "status_stale"),
    }
    for factory in FACTORIES:
        slugs = [check.slug for check in checks_of(factory._meta.model)]
        for slug in ("no_sources", "never_verified", "verification_overdue", "broken_links"):
            assert slug in slugs
        assert len(slugs) == len(set(slugs))


def check_id(check) -> str:
    return f"{check.model.__name__}-{check.slug}"


@pytest.mark.parametrize("check", CHECKS, ids=check_id)
def test_each_check_counts_and_lists_exactly_its_records(
    curator_client, records_needing_attention, check
):
    model = check.model
    failing = {record.pk for record in model.objects.all() if FAILS[check.slug](record)}
    assert failing and failing != set(model.objects.values_list("pk", flat=True))

    assert set(check.records().values_list("pk", flat=True)) == failing
    tally = dashboard_tally(curator_client.get(DASHBOARD), check)
    assert tally.count == len(failing)
    assert tally.label == f"{model._meta.verbose_name_plural.capitalize()} {check.label}"

    listed = curator_client.get(tally.url)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == len(failing)
    assert set(listed.context["cl"].queryset.values_list("pk", flat=True)) == failing


def dashboard_tally(response, check):
    changelist = reverse(f"admin:catalogue_{check.model._meta.model_name}_changelist")
    url = f"{changelist}?quality={check.slug}"
    (tally,) = [
        tally
        for _, tallies in response.context["sections"]
        for tally in tallies
        if tally.url == url
    ]
    return tally


def test_the_needs_attention_filter_offers_the_models_checks(curator_client):
    page = curator_client.get(reverse("admin:catalogue_initiative_changelist"))
    text = page.content.decode()
    assert "By needs attention" in text
    for check in checks_of(Initiative):
        assert f"?quality={check.slug}" in text and check.label in text
    assert "?quality=no_coordinates" not in text


def test_the_dashboard_shows_every_section_with_its_links(curator_client):
    in_review = InitiativeFactory(publication=Publication.IN_REVIEW)
    response = curator_client.get(DASHBOARD)
    assert response.status_code == 200
    headings = [heading for heading, _ in response.context["sections"]]
    assert headings == ["Review queue", *Concern.labels]
    text = response.content.decode()
    assert "<h1>Curators&#x27; dashboard</h1>" in text
    assert "No link check has run yet" in text

    (queue,) = [tallies for heading, tallies in response.context["sections"] if "Review" in heading]
    assert [tally.label for tally in queue] == [
        "Cities in review",
        "Actors in review",
        "Initiatives in review",
        "Courses in review",
        "Agreements in review",
    ]
    initiatives = queue[2]
    expected = {r.pk for r in Initiative.objects.all() if r.publication == Publication.IN_REVIEW}
    assert in_review.pk in expected and initiatives.count == len(expected)
    assert initiatives.url.endswith("?publication__exact=in_review")
    listed = curator_client.get(initiatives.url).context["cl"].queryset
    assert set(listed.values_list("pk", flat=True)) == expected
    for tally in queue:
        assert f'<a href="{tally.url}">{tally.label}</a>' in text


def test_the_dashboard_counts_broken_links(curator_client, records_needing_attention):
    response = curator_client.get(DASHBOARD)
    assert response.context["link_checks"]["checked"] == 3
    assert response.context["link_checks"]["broken"] == 2
    text = response.content.decode()
    url = reverse("admin:catalogue_linkcheck_changelist") + "?broken=yes"
    assert f'<a href="{url}">2 broken URLs</a> of 3 checked' in text
    listed = curator_client.get(url).context["cl"].queryset
    assert set(listed.values_list("url", flat=True)) == {BROKEN_WEBSITE, BROKEN_SOURCE}


def test_the_admin_index_leads_to_the_dashboard(curator_client):
    text = curator_client.get(reverse("admin:index")).content.decode()
    assert f'<a href="{DASHBOARD}"><strong>Curators\' dashboard</strong></a>' in text


def test_anonymous_and_readers_are_sent_to_sign_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url == f"/admin/login/?next={DASHBOARD}"
    client.force_login(User.objects.create_user("reader", password="a-long-passphrase-42"))
    assert client.get(DASHBOARD).url == f"/admin/login/?next={DASHBOARD}"


def staff(*codenames: str) -> User:
    user = User.objects.create_user("staff", password="a-long-passphrase-42", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_staff_without_permission_is_refused(client):
    client.force_login(staff())
    assert client.get(DASHBOARD).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert DASHBOARD not in index


def test_staff_see_only_the_records_they_may_view(client):
    client.force_login(staff("view_city", "change_actor"))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    labels = [tally.label for _, tallies in response.context["sections"] for tally in tallies]
    assert labels and all(label.startswith(("Cities ", "Actors ")) for label in labels)
    assert {label.split()[0] for label in labels} == {"Cities", "Actors"}
    assert "link_checks" not in response.context
    assert "Link checks" not in response.content.decode()


def test_the_dashboard_takes_a_fixed_number_of_queries(
    curator_client, records_needing_attention, django_assert_num_queries
):
    # The session, the user, the user's and the group's permissions, one query per kind of
    # record and one for the link checks.
    with django_assert_num_queries(10):
        curator_client.get(DASHBOARD)
    for factory in FACTORIES:
        factory.create_batch(3, last_verified=None)
    source = SourceFactory(url=BROKEN_SOURCE + "?copy")
    for initiative in InitiativeFactory.create_batch(3):
        InitiativeCitation.objects.create(record=initiative, source=source)
    with django_assert_num_queries(10):
        curator_client.get(DASHBOARD)


def test_a_website_known_broken_is_flagged_on_the_records_form(curator_client):
    now = timezone.now()
    LinkCheck.objects.create(url=BROKEN_WEBSITE, status_code=404, is_broken=True, checked_at=now)
    broken = ActorFactory(website=BROKEN_WEBSITE)
    unchecked = ActorFactory(website="https://unchecked.example.org/")

    def form(actor: Actor) -> str:
        url = reverse("admin:catalogue_actor_change", args=[actor.pk])
        return curator_client.get(url).content.decode()

    assert '<span class="errornote">Broken: HTTP 404 (checked' in form(broken)
    assert "Not checked yet (manage.py check_links)." in form(unchecked)
    assert "Broken:" not in form(unchecked)


def test_a_city_without_coordinates_is_listed_once(curator_client):
    # A city citing two sources still counts once: the checks select, they do not join.
    city = CityFactory(latitude=None, longitude=None)
    for source in SourceFactory.create_batch(2):
        city.citations.create(source=source)
    (check,) = [check for check in checks_of(City) if check.slug == "no_coordinates"]
    assert list(check.records().filter(pk=city.pk).values_list("pk", flat=True)) == [city.pk]


def test_the_curators_guide_names_every_check():
    guide = (settings.BASE_DIR / "docs" / "curation.md").read_text()
    section = guide.split("## Data-quality dashboard")[1].split("\n## ")[0]
    for check in CHECKS:
        assert f"| {check.label}" in section, check.label
        assert f"| `{check.slug}` |" in section


@pytest.mark.parametrize(
    ("factory", "status", "final"),
    [
        (InitiativeFactory, InitiativeStatus.ACTIVE, InitiativeStatus.COMPLETED),
        (InitiativeFactory, InitiativeStatus.PLANNED, InitiativeStatus.COMPLETED),
        (AgreementFactory, AgreementStatus.IN_FORCE, AgreementStatus.ENDED),
        (AgreementFactory, AgreementStatus.SIGNED, AgreementStatus.ENDED),
    ],
    ids=["initiative-active", "initiative-planned", "agreement-in-force", "agreement-signed"],
)
def test_a_status_stated_too_long_ago_or_never_dated_is_due_for_checking(factory, status, final):
    this_year = timezone.localdate().year
    cutoff = this_year - STATUS_STALE_AFTER_YEARS
    current = factory(status=status, status_as_of=this_year)
    at_cutoff = factory(status=status, status_as_of=cutoff)
    too_old = factory(status=status, status_as_of=cutoff - 1)
    undated = factory(status=status, status_as_of=None)
    settled = factory(status=final, status_as_of=cutoff - 10)
    settled_undated = factory(status=final, status_as_of=None)
    model = factory._meta.model
    check = check_of(model, "status_stale")
    assert check.concern == Concern.VERIFICATION
    assert check.label == f"status stated before {STATUS_STALE_AFTER_YEARS} years ago"
    ours = [current, at_cutoff, too_old, undated, settled, settled_undated]
    flagged = set(check.records(model.objects.filter(pk__in=[r.pk for r in ours])))
    assert flagged == {too_old, undated}


def test_the_stale_status_filter_lists_them_in_admin(curator_client):
    this_year = timezone.localdate().year
    old = AgreementFactory(name="An agreement read long ago", status_as_of=this_year - 10)
    fresh = AgreementFactory(name="An agreement read this year", status_as_of=this_year)
    url = reverse("admin:catalogue_agreement_changelist") + "?quality=status_stale"
    listed = set(curator_client.get(url).context["cl"].queryset)
    assert old in listed and fresh not in listed
    assert listed == set(check_of(Agreement, "status_stale").records())

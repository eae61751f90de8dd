"""The permission matrix: what an anonymous reader, a contributor and a curator may do on the
site, in admin and through the API (issue 5; the rules are `catalogue.workflow`'s).

`MATRIX` is the table to check: one row per action, whether each role may do it. Each action
below tries it as the role, over the browser's session or the script's token, and says whether
it happened: by what the database holds afterwards or what the page showed, not by a status
code alone. A refused API write must also answer in the API's error body.
"""

from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue import history
from catalogue.models import City, Publication, Version
from tests.factories import CityFactory, SourceFactory

pytestmark = pytest.mark.django_db

ANONYMOUS, CONTRIBUTOR, CURATOR = "anonymous", "contributor", "curator"
ROLES = (ANONYMOUS, CONTRIBUTOR, CURATOR)
Y, N = True, False

# fmt: off
MATRIX = {
    # action                                       anonymous  contributor  curator
    "site: list published records":                    (Y,        Y,           Y),
    "site: see drafts or archived records in a list":  (N,        N,           N),
    "site: view a draft by its URL":                   (N,        Y,           Y),
    "site: view a record in review by its URL":        (N,        Y,           Y),
    "site: view an archived record by its URL":        (Y,        Y,           Y),
    "API: list published records":                     (Y,        Y,           Y),
    "API: see drafts in a list":                       (N,        Y,           Y),
    "API: see archived records in a list":             (N,        Y,           Y),
    "API: view a draft by its URL":                    (N,        Y,           Y),
    "API: view an archived record by its URL":         (Y,        Y,           Y),
    "API: create a draft":                             (N,        Y,           Y),
    "API: create a published record":                  (N,        N,           Y),
    "API: update a draft":                             (N,        Y,           Y),
    "API: submit a draft (publication in_review)":     (N,        Y,           Y),
    "API: publish a draft":                            (N,        N,           Y),
    "API: update a record in review":                  (N,        N,           Y),
    "API: update a published record":                  (N,        N,           Y),
    "API: delete a draft":                             (N,        N,           Y),
    "admin: list (changelist)":                        (N,        Y,           Y),
    "admin: review queue":                             (N,        Y,           Y),
    "admin: add a draft":                              (N,        Y,           Y),
    "admin: add a published record":                   (N,        N,           Y),
    "admin: change a draft":                           (N,        Y,           Y),
    "admin: change a draft's link rows":               (N,        Y,           Y),
    "admin: change a record in review":                (N,        N,           Y),
    "admin: change a published record":                (N,        N,           Y),
    "admin: set publication in the form":              (N,        N,           Y),
    "admin: delete a draft":                           (N,        N,           Y),
    "admin: submit a draft":                           (N,        Y,           Y),
    "admin: publish":                                  (N,        N,           Y),
    "admin: send back with a comment":                 (N,        N,           Y),
    "admin: archive":                                  (N,        N,           Y),
    "admin: bulk publish":                             (N,        N,           Y),
    "admin: bulk archive":                             (N,        N,           Y),
    "admin: bulk delete":                              (N,        N,           Y),
    "admin: view a record's history":                  (N,        Y,           Y),
    "admin: revert a draft":                           (N,        Y,           Y),
    "admin: revert a published record":                (N,        N,           Y),
    "admin: restore a deleted record":                 (N,        N,           Y),
    "admin: open the import page":                     (N,        Y,           Y),
}
# fmt: on


@dataclass
class Role:
    """One role's ways in: a browser on the site and in admin, a script with its token."""

    name: str
    site: Client
    api: APIClient


def sign_in(request, name: str) -> Role:
    site, api = Client(), APIClient()
    if name != ANONYMOUS:
        user = request.getfixturevalue(name)
        site.force_login(user)
        # The token a script gets, from the command the README names.
        token = StringIO()
        call_command("curator_token", user.username, stdout=token)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.getvalue().strip()}")
    return Role(name, site, api)


ACTIONS: dict[str, Callable[[Role], bool]] = {}


def action(name: str):
    """Registers what a row of `MATRIX` does: a function of the role, true if it happened."""

    def register(function: Callable[[Role], bool]) -> Callable[[Role], bool]:
        ACTIONS[name] = function
        return function

    return register


@pytest.mark.parametrize(
    ("name", "role_name", "allowed"),
    [
        (name, role_name, allowed)
        for name, row in MATRIX.items()
        for role_name, allowed in zip(ROLES, row, strict=True)
    ],
    ids=[f"{name} | {role_name}" for name in MATRIX for role_name in ROLES],
)
def test_permission_matrix(request, name, role_name, allowed):
    assert ACTIONS[name](sign_in(request, role_name)) is allowed


def test_every_action_is_in_the_matrix():
    assert list(ACTIONS) == list(MATRIX)


def test_an_api_refusal_says_what_it_needs(request):
    contributor = sign_in(request, CONTRIBUTOR)
    draft, published = city(DRAFT), city(PUBLISHED)

    def error(response) -> dict:
        assert response.status_code == 403
        return response.json()["error"]

    publishing = error(contributor.api.patch(api_url(draft), {"publication": PUBLISHED}, "json"))
    assert (publishing["code"], publishing["message"]) == (
        "permission_denied",
        "Setting publication to “published” needs the permission catalogue.publish_city "
        "(curators); a contributor sets “draft” or “in_review”.",
    )
    changing = error(contributor.api.patch(api_url(published), {"summary": "x"}, "json"))
    assert changing["message"] == (
        "This city is published: only a curator may change it; a contributor changes drafts only."
    )
    deleting = error(contributor.api.delete(api_url(draft)))
    assert deleting["message"] == (
        "Deleting a city needs the permissions catalogue.delete_city and "
        "catalogue.publish_city (curators)."
    )


DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = (
    Publication.DRAFT,
    Publication.IN_REVIEW,
    Publication.PUBLISHED,
    Publication.ARCHIVED,
)


def city(publication: str, **fields) -> City:
    """A city with its first version, as admin or the API would have created it."""
    with history.recording():
        return CityFactory(publication=publication, **fields)


def stored(record: City) -> City | None:
    return City.objects.filter(pk=record.pk).first()


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:catalogue_city_{view}", args=args)


def city_form(record: City, **overrides) -> dict:
    """The admin form of `record` as a browser posts it, with `overrides`."""
    data = {
        "name": record.name,
        "slug": record.slug,
        "summary": record.summary,
        "description": "",
        "country": record.country_id,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "geonames_id": "",
        "strategy": record.strategy,
        "strategy_since": "",
        "approach": "",
        "website": "",
        "wikidata_id": "",
        "publication": record.publication,
        "last_verified": "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "saves_when_opened": record.lock_version,
    }
    return {**data, **overrides}


def api_url(record: City | None = None) -> str:
    return f"/api/v1/cities/{record.slug}/" if record else "/api/v1/cities/"


def api_wrote(response, success: int) -> bool:
    """Whether an API write went through; a refusal must come in the API's error body."""
    if response.status_code == success:
        return True
    assert response.status_code in (401, 403), response.content
    assert response.json()["error"]["status"] == response.status_code
    return False


def api_slugs(role: Role, **params) -> set[str]:
    response = role.api.get(api_url(), {"per_page": 500, **params})
    return {record["slug"] for record in response.json()["results"]}


# The site.


@action("site: list published records")
def site_list(role: Role) -> bool:
    published = city(PUBLISHED, name="Zzyzx Published")
    page = role.site.get(reverse("catalogue:city-list"), {"q": "Zzyzx"})
    # By its address: the page marks the words searched in its name.
    return page.status_code == 200 and published.get_absolute_url() in page.content.decode()


@action("site: see drafts or archived records in a list")
def site_list_hidden(role: Role) -> bool:
    hidden = [city(state, name=f"Zzyzx {state}") for state in (DRAFT, IN_REVIEW, ARCHIVED)]
    page = role.site.get(reverse("catalogue:city-list"), {"q": "Zzyzx"}).content.decode()
    return any(record.get_absolute_url() in page for record in hidden)


def site_shows(role: Role, record: City, notice: str) -> bool:
    page = role.site.get(record.get_absolute_url())
    if page.status_code == 404:
        return False
    assert page.status_code == 200
    assert notice in page.content.decode()
    return True


@action("site: view a draft by its URL")
def site_draft(role: Role) -> bool:
    return site_shows(role, city(DRAFT), "Preview of a record not yet published (draft)")


@action("site: view a record in review by its URL")
def site_in_review(role: Role) -> bool:
    return site_shows(role, city(IN_REVIEW), "Preview of a record not yet published (in review)")


@action("site: view an archived record by its URL")
def site_archived(role: Role) -> bool:
    return site_shows(role, city(ARCHIVED), "This record is archived")


# The API.


@action("API: list published records")
def api_list(role: Role) -> bool:
    return city(PUBLISHED).slug in api_slugs(role)


@action("API: see drafts in a list")
def api_list_drafts(role: Role) -> bool:
    return city(DRAFT).slug in api_slugs(role)


@action("API: see archived records in a list")
def api_list_archived(role: Role) -> bool:
    return city(ARCHIVED).slug in api_slugs(role)


def api_shows(role: Role, record: City) -> bool:
    response = role.api.get(api_url(record))
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "not_found"
        return False
    return response.json()["publication"] == record.publication


@action("API: view a draft by its URL")
def api_draft(role: Role) -> bool:
    return api_shows(role, city(DRAFT))


@action("API: view an archived record by its URL")
def api_archived(role: Role) -> bool:
    return api_shows(role, city(ARCHIVED))


def api_create(role: Role, **fields) -> City | None:
    payload = {"slug": "matrix-city", "name": "Matrix City", "country": "CH", **fields}
    if api_wrote(role.api.post(api_url(), payload, format="json"), 201):
        return City.objects.get(slug="matrix-city")
    assert not City.objects.filter(slug="matrix-city").exists()
    return None


@action("API: create a draft")
def api_create_draft(role: Role) -> bool:
    created = api_create(role)
    return created is not None and created.publication == DRAFT


@action("API: create a published record")
def api_create_published(role: Role) -> bool:
    created = api_create(role, publication=PUBLISHED)
    return created is not None and created.publication == PUBLISHED


def api_patch(role: Role, record: City, **fields) -> bool:
    """Whether the PATCH went through; checked against the database either way."""
    wrote = api_wrote(role.api.patch(api_url(record), fields, format="json"), 200)
    after = stored(record)
    assert all((getattr(after, key) == value) is wrote for key, value in fields.items())
    return wrote


@action("API: update a draft")
def api_update_draft(role: Role) -> bool:
    return api_patch(role, city(DRAFT), summary="Changed by a script.")


@action("API: submit a draft (publication in_review)")
def api_submit(role: Role) -> bool:
    return api_patch(role, city(DRAFT), publication=IN_REVIEW)


@action("API: publish a draft")
def api_publish(role: Role) -> bool:
    return api_patch(role, city(DRAFT), publication=PUBLISHED)


@action("API: update a record in review")
def api_update_in_review(role: Role) -> bool:
    return api_patch(role, city(IN_REVIEW), summary="Changed by a script.")


@action("API: update a published record")
def api_update_published(role: Role) -> bool:
    return api_patch(role, city(PUBLISHED), summary="Changed by a script.")


@action("API: delete a draft")
def api_delete(role: Role) -> bool:
    draft = city(DRAFT)
    wrote = api_wrote(role.api.delete(api_url(draft)), 204)
    assert (stored(draft) is None) is wrote
    return wrote


# Admin. An anonymous visitor is sent to the login page, which does nothing.


def admin_page(role: Role, url: str, **params) -> bool:
    response = role.site.get(url, params)
    if response.status_code == 302:
        assert response.url.startswith(reverse("admin:login"))
        return False
    if response.status_code == 403:
        return False
    assert response.status_code == 200
    return True


@action("admin: list (changelist)")
def admin_changelist(role: Role) -> bool:
    return admin_page(role, admin_url("changelist"))


@action("admin: review queue")
def admin_review_queue(role: Role) -> bool:
    waiting = city(IN_REVIEW)
    response = role.site.get(admin_url("changelist"), {"publication__exact": "in_review"})
    return response.status_code == 200 and waiting in response.context["cl"].result_list


def admin_add(role: Role, **overrides) -> City | None:
    new = City(name="Matrix City", slug="matrix-city", country_id="CH", latitude=1, longitude=2)
    role.site.post(admin_url("add"), city_form(new, **overrides))
    return City.objects.filter(slug="matrix-city").first()


@action("admin: add a draft")
def admin_add_draft(role: Role) -> bool:
    added = admin_add(role)
    return added is not None and added.publication == DRAFT


@action("admin: add a published record")
def admin_add_published(role: Role) -> bool:
    added = admin_add(role, publication=PUBLISHED)
    return added is not None and added.publication == PUBLISHED


def admin_change(role: Role, record: City, **overrides) -> bool:
    """Whether posting the change form changed `record` as `overrides` say."""
    role.site.post(admin_url("change", record.pk), city_form(record, **overrides))
    after = stored(record)
    return all(getattr(after, key) == value for key, value in overrides.items())


@action("admin: change a draft")
def admin_change_draft(role: Role) -> bool:
    return admin_change(role, city(DRAFT), summary="Changed in admin.")


@action("admin: change a draft's link rows")
def admin_change_links(role: Role) -> bool:
    draft, source = city(DRAFT), SourceFactory()
    rows = {
        "citations-TOTAL_FORMS": "1",
        "citations-0-source": source.pk,
        "citations-0-locator": "p. 3",
    }
    role.site.post(admin_url("change", draft.pk), city_form(draft, **rows))
    return draft.citations.filter(source=source, locator="p. 3").exists()


@action("admin: change a record in review")
def admin_change_in_review(role: Role) -> bool:
    return admin_change(role, city(IN_REVIEW), summary="Changed in admin.")


@action("admin: change a published record")
def admin_change_published(role: Role) -> bool:
    return admin_change(role, city(PUBLISHED), summary="Changed in admin.")


@action("admin: set publication in the form")
def admin_set_publication(role: Role) -> bool:
    return admin_change(role, city(DRAFT), publication=PUBLISHED)


@action("admin: delete a draft")
def admin_delete(role: Role) -> bool:
    draft = city(DRAFT)
    role.site.post(admin_url("delete", draft.pk), {"post": "yes"})
    return stored(draft) is None


def admin_transition(role: Role, start: str, verb: str, comment: str = "") -> bool:
    record = city(start)
    role.site.post(admin_url("transition", record.pk, verb), {"comment": comment})
    return stored(record).publication != start


@action("admin: submit a draft")
def admin_submit(role: Role) -> bool:
    return admin_transition(role, DRAFT, "submit")


@action("admin: publish")
def admin_publish(role: Role) -> bool:
    return admin_transition(role, IN_REVIEW, "publish")


@action("admin: send back with a comment")
def admin_send_back(role: Role) -> bool:
    return admin_transition(role, IN_REVIEW, "send_back", comment="Cite the 2021 report.")


@action("admin: archive")
def admin_archive(role: Role) -> bool:
    return admin_transition(role, PUBLISHED, "archive")


def admin_bulk(role: Role, start: str, name: str, **extra) -> City | None:
    record = city(start)
    role.site.post(
        admin_url("changelist"), {"action": name, "_selected_action": [record.pk], **extra}
    )
    return stored(record)


@action("admin: bulk publish")
def admin_bulk_publish(role: Role) -> bool:
    return admin_bulk(role, DRAFT, "publish_selected").publication == PUBLISHED


@action("admin: bulk archive")
def admin_bulk_archive(role: Role) -> bool:
    return admin_bulk(role, PUBLISHED, "archive_selected").publication == ARCHIVED


@action("admin: bulk delete")
def admin_bulk_delete(role: Role) -> bool:
    return admin_bulk(role, DRAFT, "delete_selected", post="yes") is None


@action("admin: view a record's history")
def admin_history(role: Role) -> bool:
    return admin_page(role, admin_url("history", city(PUBLISHED).pk))


def admin_revert(role: Role, start: str) -> bool:
    record = city(start, summary="First words.")
    first = Version.objects.of(record).get()
    with history.recording():
        record.summary = "Second words."
        record.save()
    role.site.post(
        admin_url("revert", record.pk, first.pk),
        {"change_note": "", "saves_when_opened": record.lock_version},
    )
    return stored(record).summary == "First words."


@action("admin: revert a draft")
def admin_revert_draft(role: Role) -> bool:
    return admin_revert(role, DRAFT)


@action("admin: revert a published record")
def admin_revert_published(role: Role) -> bool:
    return admin_revert(role, PUBLISHED)


@action("admin: restore a deleted record")
def admin_restore(role: Role) -> bool:
    record = city(PUBLISHED, slug="matrix-deleted")
    with history.recording():
        record.delete()
    deleted = Version.objects.deleted(City).get(slug="matrix-deleted")
    role.site.post(admin_url("restore", deleted.pk), {"change_note": ""})
    return City.objects.filter(slug="matrix-deleted").exists()


@action("admin: open the import page")
def admin_import(role: Role) -> bool:
    return admin_page(role, admin_url("import"))

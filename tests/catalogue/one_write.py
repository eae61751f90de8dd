"""One write to the catalogue, made the way a curator makes it, for a process of its own:
test_index_processes.py runs `write(KIND)` through `manage.py shell`, with the database in
DATABASE_URL and a curator named in CURATOR (created beforehand), between reads of two server
processes, each with a list index of its own.

Every kind of write changes what the initiatives' list counts: admin's change form, the API with
the curator's token, a bulk import, a revert to an earlier version, a deletion, publishing and
unpublishing through the editorial workflow.
"""

import os


def initiative(**conditions):
    from catalogue.models import Initiative

    return (
        Initiative.objects.filter(children__isnull=True, courses__isnull=True, **conditions)
        .exclude(agreements__isnull=False)
        .order_by("pk")
        .first()
    )


def write(kind: str) -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from catalogue import history, workflow
    from catalogue.imports import import_rows
    from catalogue.models import Initiative, Version
    from catalogue.tabular import Row
    from tests.catalogue.test_history import form_data, token_client

    curator = User.objects.get(username=os.environ["CURATOR"])
    if kind == "admin":
        record = initiative(publication="published", status="active")
        client = Client()
        client.force_login(curator)
        url = reverse("admin:catalogue_initiative_change", args=[record.pk])
        data = form_data(client.get(url), "initiative")
        data.update({"status": ["suspended"], "_save": ["Save"]})
        response = client.post(url, data)
        assert response.status_code == 302, response.content[:2000]
    elif kind == "api":
        record = initiative(publication="published", status="active")
        response = token_client(curator).patch(
            f"/api/v1/initiatives/{record.slug}/", {"status": "completed"}, format="json"
        )
        assert response.status_code == 200, response.json()
    elif kind == "import":
        row = {"slug": "sea-kale-fund", "name": "Sea kale fund", "kind": "fund"}
        rows = [Row(2, {**row, "status": "planned", "level": "city", "publication": "published"})]
        result = import_rows(Initiative, rows, user=curator, dry_run=False, file_name="kale.csv")
        assert result.imported, result.error_rows
    elif kind == "revert":
        record = Initiative.objects.filter(publication="published", status="suspended").first()
        first = Version.objects.of(record).last()
        history.revert(record, first, user=curator)
    elif kind == "delete":
        record = initiative(publication="published")
        response = token_client(curator).delete(f"/api/v1/initiatives/{record.slug}/")
        assert response.status_code == 204, response.content
    elif kind in ("unpublish", "publish"):
        verb = "archive" if kind == "unpublish" else "publish"
        state = "published" if kind == "unpublish" else "archived"
        record = initiative(publication=state)
        workflow.transition(record, verb, user=curator)
    else:
        raise SystemExit(f"Unknown kind of write: {kind}")

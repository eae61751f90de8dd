"""manage.py check_links against a local HTTP server that the tests start: every outcome kept
right, each URL asked once, concurrency bounded, stale checks forgotten, broken links listed with
who uses them, and the link checks' admin. No request leaves the machine."""

import datetime
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalogue import tasks
from catalogue.history import RECORD_MODELS
from catalogue.links import USER_AGENT
from catalogue.models import LinkCheck, Source
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

SLOW_SECONDS = 30
TIMEOUT = "2"
# Each answer on /busy takes this long, so that requests overlap when they can.
BUSY_SECONDS = 0.2


@dataclass
class Traffic:
    """What the local server saw: each request, the user agents, and the most requests it was
    answering at the same time."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    user_agents: set[str] = field(default_factory=set)
    active: int = 0
    most_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)


def handler_for(traffic: Traffic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.answer()

        def do_GET(self):
            self.answer()

        def answer(self):
            path = urlsplit(self.path).path
            with traffic.lock:
                traffic.requests.append((self.command, path))
                traffic.user_agents.add(self.headers["User-Agent"])
                traffic.active += 1
                traffic.most_active = max(traffic.most_active, traffic.active)
            try:
                status, location = self.outcome(path)
            finally:
                # Before answering: once answered, the checker may start its next request.
                with traffic.lock:
                    traffic.active -= 1
            self.reply(status, location)

        def outcome(self, path: str) -> tuple[int, str | None]:
            match path:
                case "/ok" | "/landing":
                    return 200, None
                case "/busy":
                    time.sleep(BUSY_SECONDS)
                    return 200, None
                case "/error":
                    return 500, None
                case "/moved":
                    return 301, "/landing"
                case "/moved-to-missing":
                    return 302, "/gone"
                case "/loop":
                    return 302, "/loop"
                case "/no-head":
                    return (405 if self.command == "HEAD" else 200), None
                case "/slow":
                    traffic.release.wait(SLOW_SECONDS)
                    return 200, None
                case _:
                    return 404, None

        def reply(self, status: int, location: str | None = None) -> None:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            """Quiet: the test reads `traffic` instead."""

    return Handler


@contextmanager
def local_server() -> Iterator[tuple[str, Traffic]]:
    traffic = Traffic()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(traffic))
    # An answer the checker stopped waiting for is written to a closed connection.
    server.handle_error = lambda request, client_address: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        traffic.release.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(monkeypatch):
    """The local server, with the test catalogue's own links blanked out so that nothing is
    asked of the outside world."""
    # A proxy configured in the environment must not stand between the checker and the server.
    monkeypatch.setenv("no_proxy", "*")
    for model in RECORD_MODELS:
        model.objects.update(website="")
    Source.objects.update(url="")
    with local_server() as (base, traffic):
        yield base, traffic


def run(*arguments: str) -> str:
    out = StringIO()
    call_command("check_links", *arguments, stdout=out)
    return out.getvalue()


def test_every_outcome_is_kept(server):
    base, traffic = server
    refused = f"http://127.0.0.1:{closed_port()}/"
    initiative = InitiativeFactory(website=f"{base}/ok")
    actor = ActorFactory(website=f"{base}/missing")
    CityFactory(website=f"{base}/error")
    CourseFactory(website=f"{base}/moved")
    agreement = AgreementFactory(website=f"{base}/moved-to-missing")
    ActorFactory(website=refused)
    report = SourceFactory(url=f"{base}/missing")
    SourceFactory(url=f"{base}/no-head")
    slow = SourceFactory(url=f"{base}/slow")
    initiative.citations.create(source=slow)
    ftp = SourceFactory(url="ftp://127.0.0.1/report.pdf")
    SourceFactory(url=f"{base}/loop")
    earlier = timezone.now() - datetime.timedelta(days=30)
    LinkCheck.objects.create(url=f"{base}/ok", status_code=500, is_broken=True, checked_at=earlier)
    stale = "https://no-longer-linked.example.org/"
    LinkCheck.objects.create(url=stale, status_code=200, is_broken=False, checked_at=earlier)

    started = timezone.now()
    output = run("--timeout", TIMEOUT)

    kept = {
        check.url: (check.status_code, check.error, check.is_broken)
        for check in LinkCheck.objects.all()
    }
    assert kept == {
        f"{base}/ok": (200, "", False),
        f"{base}/missing": (404, "", True),
        f"{base}/error": (500, "", True),
        f"{base}/moved": (200, "", False),
        f"{base}/moved-to-missing": (404, "", True),
        f"{base}/no-head": (200, "", False),
        f"{base}/slow": (None, "timed out", True),
        f"{base}/loop": (302, "redirect not followed", True),
        refused: (None, "connection refused", True),
        "ftp://127.0.0.1/report.pdf": (None, "not an HTTP or HTTPS address", True),
    }
    assert all(check.checked_at >= started for check in LinkCheck.objects.all())

    # Each URL once (an actor and a source use /missing), with HEAD, redirects followed with
    # HEAD too; GET only where HEAD is refused.
    asked = Counter(traffic.requests)
    linked = ["/ok", "/missing", "/error", "/moved", "/moved-to-missing", "/no-head", "/slow"]
    assert {path: asked["HEAD", path] for path in [*linked, "/landing", "/gone"]} == {
        path: 1 for path in [*linked, "/landing", "/gone"]
    }
    assert [request for request in asked if request[0] == "GET"] == [("GET", "/no-head")]
    assert traffic.user_agents == {USER_AGENT}

    lines = output.splitlines()
    assert lines[0] == "Checked 10 URL(s): 7 broken."
    assert f"{base}/missing: HTTP 404" in lines
    assert f"  used by actor {actor} ({actor.slug})" in lines
    assert f"  used by source {report} ({report.slug})" in lines
    assert f"{base}/moved-to-missing: HTTP 404" in lines
    assert f"  used by agreement {agreement} ({agreement.slug})" in lines
    assert f"{base}/slow: timed out" in lines
    assert f"{refused}: connection refused" in lines
    assert f"{base}/loop: redirect not followed" in lines
    assert "ftp://127.0.0.1/report.pdf: not an HTTP or HTTPS address" in lines
    assert f"  used by source {ftp} ({ftp.slug})" in lines
    for working in ("/ok", "/moved", "/no-head"):
        assert not any(line.startswith(f"{base}{working}:") for line in lines)


def test_concurrency_is_bounded(server):
    base, traffic = server
    for number in range(12):
        SourceFactory(url=f"{base}/busy?n={number}")
    output = run("--concurrency", "3", "--timeout", "5")
    assert output.splitlines()[0] == "Checked 12 URL(s): 0 broken."
    assert len(traffic.requests) == 12
    assert 1 < traffic.most_active <= 3


def test_urls_no_longer_linked_are_forgotten(server):
    base, _ = server
    source = SourceFactory(url=f"{base}/ok")
    run()
    assert list(LinkCheck.objects.values_list("url", flat=True)) == [f"{base}/ok"]
    source.delete()
    assert run().splitlines() == ["Checked 0 URL(s): 0 broken."]
    assert not LinkCheck.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--concurrency", "0"], "--concurrency must be at least 1."),
        (["--timeout", "0"], "--timeout must be a positive number of seconds."),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(CommandError, match=message):
        run(*arguments)


def test_the_link_checks_admin_lists_who_uses_each_url(curator_client, server):
    base, _ = server
    actor = ActorFactory(website=f"{base}/missing")
    source = SourceFactory(url=f"{base}/missing")
    InitiativeFactory(website=f"{base}/ok")
    run()
    changelist = reverse("admin:catalogue_linkcheck_changelist")

    response = curator_client.get(changelist, {"broken": "yes"})
    assert [check.url for check in response.context["cl"].result_list] == [f"{base}/missing"]
    text = response.content.decode()
    actor_url = reverse("admin:catalogue_actor_change", args=[actor.pk])
    source_url = reverse("admin:catalogue_source_change", args=[source.pk])
    assert f'<a href="{actor_url}">actor {actor}</a>' in text
    assert f'<a href="{source_url}">source {source}</a>' in text
    working = curator_client.get(changelist, {"broken": "no"}).context["cl"].result_list
    assert [check.url for check in working] == [f"{base}/ok"]
    assert curator_client.get(reverse("admin:catalogue_linkcheck_add")).status_code == 403


def test_the_link_checks_page_takes_as_many_queries_for_many_rows(curator_client, server):
    base, _ = server
    changelist = reverse("admin:catalogue_linkcheck_changelist")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert curator_client.get(changelist).status_code == 200
        return len(captured)

    ActorFactory(website=f"{base}/missing")
    run()
    few = queries()
    for number in range(10):
        ActorFactory(website=f"{base}/ok?n={number}")
        SourceFactory(url=f"{base}/ok?n={number}")
    run()
    assert LinkCheck.objects.count() == 11
    assert queries() == few


def test_the_curators_guide_documents_the_command():
    guide = (settings.BASE_DIR / "docs" / "curation.md").read_text()
    section = guide.split("## Link checking")[1].split("\n## ")[0]
    for text in ("--concurrency", "--timeout", "crontab", "OnCalendar=", USER_AGENT.split()[0]):
        assert text in section


def test_a_curator_has_the_task_worker_check_every_link_from_admin(curator_client, server):
    base, _ = server
    ActorFactory(website=f"{base}/missing")
    InitiativeFactory(website=f"{base}/ok")
    changelist = reverse("admin:catalogue_linkcheck_changelist")
    check = reverse("admin:catalogue_linkcheck_check")
    assert f'action="{check}"' in curator_client.get(changelist).content.decode()
    assert curator_client.get(check).status_code == 405

    # Tasks run in the request in tests: the check is done when the list is shown again.
    response = curator_client.post(check, follow=True)
    assert response.redirect_chain == [(changelist, 302)]
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "The check of every link has begun; this page says how far it has come."
    ]
    assert dict(LinkCheck.objects.values_list("url", "is_broken")) == {
        f"{base}/missing": True,
        f"{base}/ok": False,
    }
    assert tasks.progress(tasks.LINK_CHECK) is None
    assert "under way" not in response.content.decode()


def test_the_link_checks_list_follows_a_check_under_way(curator_client):
    changelist = reverse("admin:catalogue_linkcheck_changelist")
    tasks.set_progress(tasks.LINK_CHECK, 0, None)
    try:
        page = curator_client.get(changelist).content.decode()
        assert "A check of every link is under way, waiting for the task worker." in page
        tasks.set_progress(tasks.LINK_CHECK, 50, 120)
        page = curator_client.get(changelist).content.decode()
        assert "under way: 50 of 120 links checked" in page
        assert '<meta http-equiv="refresh"' in page
        assert "Check every link now" not in page
        response = curator_client.post(reverse("admin:catalogue_linkcheck_check"), follow=True)
        assert [str(message) for message in get_messages(response.wsgi_request)] == [
            "A check of every link is under way already."
        ]
        assert tasks.progress(tasks.LINK_CHECK) == (50, 120)
    finally:
        caches["progress"].delete(tasks.LINK_CHECK)
    assert '<meta http-equiv="refresh"' not in curator_client.get(changelist).content.decode()

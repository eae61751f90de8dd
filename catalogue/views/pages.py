"""The home page, global search, themes, the error pages and the health and readiness checks."""

import sys
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.generic import DetailView, ListView, TemplateView

from catalogue import faults, filters
from catalogue.index import search_every_kind
from catalogue.models import Course, Publication, Theme
from catalogue.search import read_search

RECORD_MODELS = tuple(filterset_class._meta.model for filterset_class in filters.RECORD_FILTERSETS)
SEARCH_RESULTS_PER_TYPE = 10


HOME_UPCOMING_COURSES = 5
HOME_RECENT_RECORDS = 8


class HomeView(TemplateView):
    """What Sciplo is, how big it is, what is coming up and what changed lately."""

    template_name = "catalogue/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = [
            (model._meta, model.objects.published().count()) for model in RECORD_MODELS
        ]
        context["upcoming_courses"] = (
            Course.objects.published().upcoming().select_related("city")[:HOME_UPCOMING_COURSES]
        )
        recent = [
            record
            for model in RECORD_MODELS
            for record in model.objects.published().order_by("-updated_at")[:HOME_RECENT_RECORDS]
        ]
        recent.sort(key=lambda record: record.updated_at, reverse=True)
        context["recent_records"] = recent[:HOME_RECENT_RECORDS]
        return context


class SearchView(TemplateView):
    """One search across every kind of record, the best matches of each kind grouped."""

    template_name = "catalogue/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        text = self.request.GET.get("q", "").strip()
        groups = [
            {"opts": found.model._meta, "total": found.total, "records": found.best}
            for found in (
                search_every_kind(filters.RECORD_FILTERSETS, text, SEARCH_RESULTS_PER_TYPE)
                if text
                else []
            )
        ]
        searched = read_search(text, using=RECORD_MODELS[0].objects.db) if text else None
        context.update(
            q=text,
            site_search_q=text,
            groups=groups,
            total=sum(group["total"] for group in groups),
            # The search as it was run: the results mark the words it matched.
            searched=searched,
            corrected_url=searched
            and searched.corrected_text
            and "?" + urlencode({"q": searched.corrected_text}),
        )
        return context


def published_count(relation: str) -> Count:
    return Count(
        relation, filter=Q(**{f"{relation}__publication": Publication.PUBLISHED}), distinct=True
    )


class ThemeListView(ListView):
    """Every theme with what it touches."""

    template_name = "catalogue/theme_list.html"
    context_object_name = "themes"

    def get_queryset(self):
        return Theme.objects.annotate(
            initiative_count=published_count("initiatives"),
            agreement_count=published_count("agreements"),
        ).order_by("name")


class ThemeDetailView(DetailView):
    template_name = "catalogue/theme_detail.html"
    context_object_name = "theme"
    queryset = Theme.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["initiatives"] = self.object.initiatives.published().for_list()
        context["agreements"] = self.object.agreements.published().for_list()
        return context


def not_found(request, exception):
    """A 404 that suggests searching for the words of the address."""
    last_part = request.path.strip("/").rsplit("/", 1)[-1]
    context = {"suggested_search": last_part.replace("-", " ")}
    return render(request, "404.html", context, status=404)


def size_limit_exceeded(exception) -> str | None:
    """The limit a request refused for its size went beyond, said for its sender; None when
    the request was refused for anything else."""
    if isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        return f"The request's body is larger than the {megabytes:g} MB a request may send."
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return f"The request sends more than the {limit} fields a request may send."
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return f"The request sends more than the {limit} files a request may send."
    return None


def bad_request(request, exception=None):
    """A request refused for its size is too large (413), not malformed (400)."""
    limit = size_limit_exceeded(exception)
    if limit is not None:
        return HttpResponse(limit, status=413, content_type="text/plain; charset=utf-8")
    return defaults.bad_request(request, exception)


def server_error(request):
    """A request that failed because the database is out of reach answers 503 with a plain page
    and `Retry-After` (the page needs nothing from the database); any other failure, Django's
    500."""
    if not faults.database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    response = render(request, "503.html", {"retry_after": faults.RETRY_AFTER_SECONDS}, status=503)
    response["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
    return response


def health(request):
    """Liveness, for load balancers and the container's health check: the app answers. It asks
    nothing of the database, so that an outage is not taken for a broken app and restarted."""
    return JsonResponse({"status": "ok"})


def ready(request):
    """Readiness: whether the app can serve now, each dependency's state named; 503 with
    `Retry-After` when one it needs is missing (a stalled task queue is named, not needed)."""
    checks = faults.readiness()
    if all(checks[name] == "ok" for name in faults.REQUIRED):
        return JsonResponse({"status": "ready", "checks": checks})
    response = JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    response["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
    return response

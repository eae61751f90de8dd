"""Views of the readers' site."""

from django.db import connection
from django.http import JsonResponse
from django.views.generic import DetailView, TemplateView

from catalogue.models import Actor, Agreement, City, Course, Initiative, Publication


class HomeView(TemplateView):
    template_name = "catalogue/home.html"
    counted_models = (Initiative, Actor, Course, Agreement, City)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = [
            (model._meta.verbose_name_plural, model.objects.published().count())
            for model in self.counted_models
        ]
        return context


class RecordDetailView(DetailView):
    """A record's page; archived records stay reachable so that citations never break, and
    staff may preview drafts."""

    template_name = "catalogue/record_detail.html"

    def get_queryset(self):
        if self.request.user.is_staff:
            return self.model.objects.all()
        return self.model.objects.reachable()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record_type"] = self.model._meta.verbose_name
        context["is_archived"] = self.object.publication == Publication.ARCHIVED
        context["citations"] = self.object.citations.select_related("source")
        return context


class ActorDetailView(RecordDetailView):
    model = Actor


class AgreementDetailView(RecordDetailView):
    model = Agreement


class CityDetailView(RecordDetailView):
    model = City


class CourseDetailView(RecordDetailView):
    model = Course


class InitiativeDetailView(RecordDetailView):
    model = Initiative


def health(request):
    """For load balancers and the container health check: the app answers and reaches its
    database."""
    connection.ensure_connection()
    return JsonResponse({"status": "ok"})

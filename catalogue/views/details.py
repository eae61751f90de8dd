"""Record pages: everything about one record, its relations in both directions and its sources."""

from django.views.generic import DetailView

from catalogue.models import Actor, Agreement, City, Course, Initiative, Publication


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

"""List pages: filter, search, facets, sorting, pagination and export, declared per model."""

from dataclasses import dataclass

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.text import capfirst
from django.views.generic import TemplateView

from catalogue import filters
from catalogue.exports import export_response
from catalogue.facets import DecadeFacet, with_changes
from catalogue.index import SelectedRecords, in_order, index_for
from catalogue.models import Actor, Agreement, City, Course, Initiative
from catalogue.revision import RememberedPageMixin
from catalogue.search import read_search

PAGE_SIZES = (25, 50, 100)
EXPORT_FORMATS = ("csv", "json")
# Parameters that shape the page rather than select records.
PAGE_PARAMS = ("page", "per_page", "sort", "format", "facet_all")
# A facet shows its most frequent values (chosen ones first) up to this many, unless the page is
# asked for all of them (`facet_all=<param>`): a catalogue of 100,000 initiatives has 20,000
# participating actors.
FACET_VALUES_SHOWN = 50


class ShownValues(list):
    """The values of a facet a page shows, knowing how many it leaves out (`hidden`) and the
    query string that shows them all (`all_url`)."""

    def __init__(self, values, *, hidden: int = 0, all_url: str = ""):
        super().__init__(values)
        self.hidden = hidden
        self.all_url = all_url


@dataclass
class Chip:
    """An active filter value, with the link that removes it."""

    label: str
    remove_url: str


class RecordListView(RememberedPageMixin, TemplateView):
    """A filtered, faceted, sorted and paginated list of published records.

    A subclass names its `model`, `filterset_class` and `row_template`; everything else is done
    here once, the same way for every model.
    """

    template_name = "catalogue/record_list.html"
    model = None
    filterset_class: type[filters.CatalogueFilterSet] = None
    row_template = ""
    intro = ""
    # Other views of the same records: (URL name, label).
    other_views: tuple[tuple[str, str], ...] = ()

    def base_queryset(self):
        return self.model.objects.published().for_list()

    def get(self, request, *args, **kwargs):
        self.data = request.GET.copy()
        records = self.base_queryset()
        self.filterset = self.filterset_class(self.data, queryset=records)
        self.filterset.is_valid()
        self.selection = index_for(self.filterset_class, using=records.db).select(self.filterset)
        file_format = self.data.get("format")
        if file_format in EXPORT_FORMATS:
            name = self.model._meta.verbose_name_plural.replace(" ", "-")
            ids = self.selection.ids()
            return export_response(request, self.model, ids, file_format, name)
        context = self.get_context_data(**kwargs)
        status = 400 if self.filterset.errors else 200
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        per_page = self.per_page()
        selection = self.selection
        paginator = Paginator(SelectedRecords(selection, in_order(self.base_queryset())), per_page)
        try:
            page = paginator.page(self.data.get("page") or 1)
        except InvalidPage as error:
            raise Http404(f"There is no such page of results: {error}") from error
        total = paginator.count
        facets = [(facet, self.shown(facet, selection)) for facet in self.filterset_class.facets]
        text = self.data.get("q", "").strip()
        searched = read_search(text, using=self.model.objects.db) if text else None
        context.update(
            opts=self.model._meta,
            intro=self.intro,
            other_views=[(reverse(name), label) for name, label in self.other_views],
            row_template=self.row_template,
            filterset=self.filterset,
            page=page,
            page_links=paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            ellipsis=Paginator.ELLIPSIS,
            total=total,
            facets=facets,
            chips=self.chips(),
            sort_choices=self.filterset.filters["sort"].extra["choices"],
            current_sort=self.data.get("sort", ""),
            per_page=per_page,
            page_sizes=PAGE_SIZES,
            hidden_fields=self.kept_fields("q", "sort", "per_page"),
            # The search as it was run: the rows mark the words it matched.
            searched=searched,
            corrected_url=searched
            and searched.corrected_text
            and "?" + with_changes(self.data, q=[searched.corrected_text]),
            range_fields={
                facet.param: self.kept_fields(*facet.params)
                for facet in self.filterset_class.facets
                if isinstance(facet, DecadeFacet)
            },
            query_without_page=with_changes(self.data),
            export_urls={
                file_format: "?" + with_changes(self.data, format=[file_format])
                for file_format in EXPORT_FORMATS
            },
        )
        return context

    def shown(self, facet, selection) -> ShownValues:
        every = facet.param in self.data.getlist("facet_all")
        values, offered = selection.facet_values(facet, None if every else FACET_VALUES_SHOWN)
        if offered <= len(values):
            return ShownValues(values)
        return ShownValues(
            values,
            hidden=offered - len(values),
            all_url=with_changes(
                self.data, facet_all=[*self.data.getlist("facet_all"), facet.param]
            ),
        )

    def per_page(self) -> int:
        try:
            per_page = int(self.data.get("per_page", PAGE_SIZES[0]))
        except ValueError:
            return PAGE_SIZES[0]
        return per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]

    def chips(self) -> list[Chip]:
        chips = []
        for param, values in self.data.lists():
            if param in PAGE_PARAMS or param not in self.filterset.filters:
                continue
            title = capfirst(str(self.filterset.filters[param].label or param))
            for value in values:
                if not value:
                    continue
                label = f"{title}: {self.filterset.value_label(param, value)}"
                rest = [other for other in values if other != value]
                chips.append(Chip(label, "?" + with_changes(self.data, **{param: rest})))
        return chips

    def kept_fields(self, *set_by_form: str) -> list[tuple[str, str]]:
        """The current state, as the hidden fields of a form that sets `set_by_form` (search,
        sort, a range of years) and leads to the first page of what it chose."""
        return [
            (param, value)
            for param, values in self.data.lists()
            if param not in ("page", "format", *set_by_form)
            for value in values
        ]


class InitiativeListView(RecordListView):
    model = Initiative
    filterset_class = filters.InitiativeFilterSet
    row_template = "catalogue/rows/initiative.html"
    intro = (
        "Hubs, programmes, networks, funds, facilities and offices that put science diplomacy "
        "to work."
    )


class ActorListView(RecordListView):
    model = Actor
    filterset_class = filters.ActorFilterSet
    row_template = "catalogue/rows/actor.html"
    intro = (
        "The governments, organisations, academies and networks that practise science diplomacy."
    )


class CourseListView(RecordListView):
    model = Course
    filterset_class = filters.CourseFilterSet
    row_template = "catalogue/rows/course.html"
    other_views = (
        ("catalogue:course-upcoming", "Upcoming editions"),
        ("catalogue:course-past", "Past editions"),
        ("catalogue:course-calendar", "Calendar feed (.ics)"),
    )
    intro = (
        "Courses, workshops, fellowships and schools that teach science diplomacy, one row per "
        "edition."
    )


class AgreementListView(RecordListView):
    model = Agreement
    filterset_class = filters.AgreementFilterSet
    row_template = "catalogue/rows/agreement.html"
    other_views = (("catalogue:agreement-timeline", "Timeline by year"),)
    intro = "Treaties, arrangements, memoranda and host agreements that bind science diplomacy."


class CityListView(RecordListView):
    model = City
    filterset_class = filters.CityFilterSet
    row_template = "catalogue/rows/city.html"
    other_views = (("catalogue:city-map", "World map"),)
    intro = "Cities where science diplomacy happens, and how they approach it."

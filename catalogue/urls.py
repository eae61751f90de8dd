"""The readers' site."""

from django.urls import path

from catalogue.views import calendars, details, feeds, lists, maps, pages, timelines

app_name = "catalogue"

urlpatterns = [
    path("", pages.HomeView.as_view(), name="home"),
    path("search/", pages.SearchView.as_view(), name="search"),
    path("changes.atom", feeds.RecentChangesFeed(), name="changes-feed"),
    path("initiatives/", lists.InitiativeListView.as_view(), name="initiative-list"),
    path(
        "initiatives/<slug:slug>/",
        details.InitiativeDetailView.as_view(),
        name="initiative-detail",
    ),
    path("actors/", lists.ActorListView.as_view(), name="actor-list"),
    path("actors/<slug:slug>/", details.ActorDetailView.as_view(), name="actor-detail"),
    path("courses/", lists.CourseListView.as_view(), name="course-list"),
    path("courses/upcoming/", calendars.UpcomingCourseListView.as_view(), name="course-upcoming"),
    path("courses/past/", calendars.PastCourseListView.as_view(), name="course-past"),
    path(
        "courses/upcoming.ics",
        calendars.UpcomingCourseCalendarView.as_view(),
        name="course-calendar",
    ),
    path("courses/<slug:slug>/", details.CourseDetailView.as_view(), name="course-detail"),
    path("agreements/", lists.AgreementListView.as_view(), name="agreement-list"),
    path(
        "agreements/timeline/",
        timelines.AgreementTimelineView.as_view(),
        name="agreement-timeline",
    ),
    path("agreements/<slug:slug>/", details.AgreementDetailView.as_view(), name="agreement-detail"),
    path("cities/", lists.CityListView.as_view(), name="city-list"),
    path("cities/map/", maps.CityMapView.as_view(), name="city-map"),
    path("cities/<slug:slug>/", details.CityDetailView.as_view(), name="city-detail"),
    path("themes/", pages.ThemeListView.as_view(), name="theme-list"),
    path("themes/<slug:slug>/", pages.ThemeDetailView.as_view(), name="theme-detail"),
]

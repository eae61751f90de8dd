"""The readers' site."""

from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("actors/<slug:slug>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("agreements/<slug:slug>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path("cities/<slug:slug>/", views.CityDetailView.as_view(), name="city-detail"),
    path("courses/<slug:slug>/", views.CourseDetailView.as_view(), name="course-detail"),
    path(
        "initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative-detail"
    ),
]

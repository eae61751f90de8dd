"""The API's URLs, under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api import views

app_name = "api"

router = DefaultRouter()
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("courses", views.CourseViewSet, basename="course")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("cities", views.CityViewSet, basename="city")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("sdgs", views.SDGViewSet, basename="sdg")
router.register("countries", views.CountryViewSet, basename="country")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = [path("", include(router.urls))]

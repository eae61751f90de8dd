"""The API's URLs, under /api/v1/: its index, one route per kind of object, and its OpenAPI
schema with two readers of it, served by the app itself (docs/api.md)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
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

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("", include(router.urls)),
]

"""The API's URLs, under /api/v1/: its index, one route per kind of object, and its OpenAPI
schema with two readers of it, served by the app itself (docs/api.md)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
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
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path(
        "redoc/",
        # Redoc writes its styles into the page as it runs: no nonce can mark them (and a nonce
        # beside 'unsafe-inline' would turn it off); its search runs in a worker it makes.
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    path("names/", views.NamesView.as_view(), name="names"),
    path("", include(router.urls)),
]

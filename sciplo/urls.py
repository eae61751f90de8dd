"""The project's URLs: the readers' site, admin and the API."""

from django.contrib import admin
from django.urls import include, path

from catalogue.views.pages import health

handler404 = "catalogue.views.pages.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include("api.urls")),
    path("", include("catalogue.urls")),
]

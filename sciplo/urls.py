"""The project's URLs: the readers' site, admin, and (later) the API."""

from django.contrib import admin
from django.urls import include, path

from catalogue.views.pages import health

handler404 = "catalogue.views.pages.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("", include("catalogue.urls")),
]

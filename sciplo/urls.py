"""The project's URLs: the readers' site, admin and the API.

Django's error handlers are the project's, one per status: under /api/ they answer in the API's
error body (api/exceptions.py), elsewhere with the site's pages.
"""

from django.contrib import admin
from django.urls import include, path

from api import exceptions as api_errors
from catalogue.admin.quality import dashboard
from catalogue.views.pages import bad_request, health, not_found, ready, server_error


def api_or_site(api_handler, site_handler):
    def handler(request, *args, **kwargs):
        under_api = request.path_info.startswith("/api/")
        return (api_handler if under_api else site_handler)(request, *args, **kwargs)

    return handler


handler400 = api_or_site(api_errors.bad_request, bad_request)
handler404 = api_or_site(api_errors.not_found, not_found)
handler500 = api_or_site(api_errors.server_error, server_error)

urlpatterns = [
    # Before admin's own URLs, whose catch-all would take it.
    path("admin/dashboard/", admin.site.admin_view(dashboard), name="curation-dashboard"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("ready/", ready, name="ready"),
    path("api/v1/", include("api.urls")),
    path("", include("catalogue.urls")),
]

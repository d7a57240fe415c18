from django.contrib import admin
from django.urls import include, path

from catalog_site import views
from documents import urls as document_urls
from pages import urls as page_urls

handler500 = "catalog_site.views.server_error"

urlpatterns = [
    path("", include(page_urls.urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("status.json", views.status_report, name="status-report"),
    # The document page lives with the other staff pages (it shows search
    # and AI results); files and previews stay with the documents app.
    path("documents/", include((page_urls.document_urlpatterns + document_urls.urlpatterns, "documents"))),
    path("status/", views.status_page, name="status-page"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/v1/", include("api.urls")),
    path("account/api-keys/", include("api.page_urls")),
    path("admin/", admin.site.urls),
]

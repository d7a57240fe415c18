from django.contrib import admin
from django.urls import include, path

from catalog_site import views

handler500 = "catalog_site.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("status.json", views.status_report, name="status-report"),
    path("status/", views.status_page, name="status-page"),
    path("metrics", views.metrics_view, name="metrics"),
    path("documents/", include("documents.urls")),
    path("admin/", admin.site.urls),
]

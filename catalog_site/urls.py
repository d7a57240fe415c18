from django.contrib import admin
from django.urls import include, path

from catalog_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("status.json", views.status_report, name="status-report"),
    path("documents/", include("documents.urls")),
    path("api/v1/", include("api.urls")),
    path("account/api-keys/", include("api.page_urls")),
    path("admin/", admin.site.urls),
]

from django.contrib import admin
from django.urls import path

from catalog_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("status.json", views.status_report, name="status-report"),
    path("admin/", admin.site.urls),
]

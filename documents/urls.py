from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("<uuid:uuid>/download/", views.version_download, name="download"),
    path("<uuid:uuid>/versions/<int:number>/download/", views.version_download, name="version-download"),
    path("<uuid:uuid>/preview/<str:kind>/", views.version_preview, name="preview"),
    path("<uuid:uuid>/preview/<str:kind>/<int:page>/", views.version_preview, name="preview-page"),
]

from django.urls import path

from pages.views import ask, document, home, search, upload

urlpatterns = [
    path("", home.home, name="home"),
    path("browse/", search.browse_page, name="browse"),
    path("search/", search.search_page, name="search"),
    path("upload/", upload.upload_page, name="upload"),
    path("ask/", ask.ask_page, name="ask"),
]

# Joined with documents.urls under the "documents" namespace (catalog_site.urls).
document_urlpatterns = [
    path("<uuid:uuid>/", document.document_detail, name="detail"),
    path("<uuid:uuid>/pager/", document.document_pager, name="pager"),
    path("<uuid:uuid>/status/", document.document_status, name="status"),
    path("<uuid:uuid>/edit/", document.document_edit, name="edit"),
    path("<uuid:uuid>/versions/new/", document.document_new_version, name="new-version"),
]

"""``/api/v1/``: the REST API, its OpenAPI schema and its documentation pages."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from api.views import documents, other, search, summaries, taxonomy
from api.views.base import not_found

app_name = "api"

doc = "documents/<uuid:uuid>/"

urlpatterns = [
    path("documents/", documents.DocumentListView.as_view(), name="document-list"),
    path(doc, documents.DocumentDetailView.as_view(), name="document-detail"),
    path(f"{doc}trash/", documents.DocumentTrashView.as_view(), name="document-trash"),
    path(f"{doc}restore/", documents.DocumentRestoreView.as_view(), name="document-restore"),
    path(f"{doc}download/", documents.CurrentDownloadView.as_view(), name="document-download"),
    path(f"{doc}versions/", documents.VersionListView.as_view(), name="version-list"),
    path(f"{doc}versions/<int:number>/download/", documents.VersionDownloadView.as_view(), name="version-download"),
    path(f"{doc}previews/<str:kind>/<int:page>/", documents.PreviewView.as_view(), name="preview"),
    path(f"{doc}processing/", documents.ProcessingView.as_view(), name="processing"),
    path(f"{doc}similar/", search.SimilarView.as_view(), name="similar"),
    path(f"{doc}summary/", summaries.SummaryView.as_view(), name="summary"),
    path(f"{doc}summary/regenerate/", summaries.SummaryRegenerateView.as_view(), name="summary-regenerate"),
    path("collections/", taxonomy.CollectionListView.as_view(), name="collection-list"),
    path("collections/<int:pk>/", taxonomy.CollectionDetailView.as_view(), name="collection-detail"),
    path("tags/", taxonomy.TagListView.as_view(), name="tag-list"),
    path("tags/<int:pk>/", taxonomy.TagDetailView.as_view(), name="tag-detail"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("ask/", search.AskView.as_view(), name="ask"),
    path("suggestions/", other.SuggestionListView.as_view(), name="suggestion-list"),
    path("suggestions/<int:pk>/accept/", other.SuggestionAcceptView.as_view(), name="suggestion-accept"),
    path("suggestions/<int:pk>/reject/", other.SuggestionRejectView.as_view(), name="suggestion-reject"),
    path("audit-events/", other.AuditEventListView.as_view(), name="audit-list"),
    path("keys/", other.ApiKeyListView.as_view(), name="key-list"),
    path("keys/<int:pk>/", other.ApiKeyDetailView.as_view(), name="key-detail"),
    path("keys/<int:pk>/rotate/", other.ApiKeyRotateView.as_view(), name="key-rotate"),
    path("keys/<int:pk>/revoke/", other.ApiKeyRevokeView.as_view(), name="key-revoke"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Anything else under /api/v1/ is a JSON 404 in the one error shape, not an HTML page.
    re_path(r"^.*$", not_found, name="not-found"),
]

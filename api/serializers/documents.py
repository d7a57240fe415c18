"""Documents, versions, processing steps, collections and tags on the wire."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from documents.models import AIPolicy, Collection, Document, DocumentVersion, PreviewKind, ProcessingStatus, Tag
from documents.selectors import collections_visible_to

API_ROOT = "/api/v1"


def document_path(document: Document) -> str:
    return f"{API_ROOT}/documents/{document.uuid}/"


class CollectionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "slug", "colour"]
        read_only_fields = ["id", "slug"]
        extra_kwargs = {"name": {"validators": []}}


class VersionSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "number",
            "original_filename",
            "mime_type",
            "size",
            "sha256",
            "page_count",
            "status",
            "error",
            "created_at",
            "processed_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, version: DocumentVersion) -> str:
        return f"{API_ROOT}/documents/{version.document.uuid}/versions/{version.number}/download/"


class CurrentVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    original_filename = serializers.CharField()
    mime_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    page_count = serializers.IntegerField(allow_null=True)


class DocumentLinksSerializer(serializers.Serializer):
    self = serializers.CharField()
    download = serializers.CharField(allow_null=True)
    thumbnail = serializers.CharField(allow_null=True, help_text="Small WebP thumbnail, once previews exist.")
    versions = serializers.CharField()
    processing = serializers.CharField()
    similar = serializers.CharField()
    page = serializers.CharField(help_text="The catalog page of the document.")


class DocumentSerializer(serializers.Serializer):
    """A document as lists and details show it. ``text`` (the extracted text
    of the current version) is there only when asked for with ``include=text``."""

    uuid = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    collection = CollectionRefSerializer()
    tags = serializers.SerializerMethodField()
    language = serializers.CharField()
    document_date = serializers.DateField(allow_null=True)
    metadata = serializers.DictField()
    status = serializers.ChoiceField(choices=ProcessingStatus.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    trashed_at = serializers.DateTimeField(allow_null=True)
    duplicate_of = serializers.SerializerMethodField()
    current_version = CurrentVersionSerializer(allow_null=True)
    links = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()

    def __init__(self, *args: Any, include_text: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not include_text:
            self.fields.pop("text")

    @extend_schema_field(TagSerializer(many=True))
    def get_tags(self, document: Document) -> list[dict[str, Any]]:
        return [{"id": t.id, "name": t.name, "slug": t.slug, "colour": t.colour} for t in document.tags.all()]

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_duplicate_of(self, document: Document) -> str | None:
        return _duplicate_uuid(document)

    @extend_schema_field(DocumentLinksSerializer)
    def get_links(self, document: Document) -> dict[str, Any]:
        base = document_path(document)
        version = document.current_version
        return {
            "self": base,
            "download": f"{base}download/" if version else None,
            "thumbnail": f"{base}previews/{PreviewKind.THUMB_SMALL}/1/" if _has_thumbnail(document) else None,
            "versions": f"{base}versions/",
            "processing": f"{base}processing/",
            "similar": f"{base}similar/",
            "page": document.get_absolute_url(),
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_text(self, document: Document) -> str | None:
        version = document.current_version
        if version is None:
            return None
        return "\n\n".join(page.text for page in version.pages.all())

    def to_representation(self, document: Document) -> dict[str, Any]:
        """The fields declared above, built directly: DRF's per-field
        machinery costs more than the rest of a search page.
        tests/api/test_documents.py checks that both agree; the document
        list builds the same in SQL (api.selectors.document_list_page),
        held to it by tests/api/test_document_list.py."""
        zone = timezone.get_current_timezone()
        version = document.current_version
        data = {
            "uuid": str(document.uuid),
            "title": document.title,
            "description": document.description,
            "collection": {"id": document.collection_id, "name": document.collection.name},
            "tags": self.get_tags(document),
            "language": document.language,
            "document_date": document.document_date.isoformat() if document.document_date else None,
            "metadata": document.metadata,
            "status": document.status,
            "created_at": _iso(document.created_at, zone),
            "updated_at": _iso(document.updated_at, zone),
            "trashed_at": _iso(document.trashed_at, zone) if document.trashed_at else None,
            "duplicate_of": self.get_duplicate_of(document),
            "current_version": {name: getattr(version, name) for name in VERSION_FIELDS} if version else None,
            "links": self.get_links(document),
        }
        if "text" in self.fields:
            data["text"] = self.get_text(document)
        return data


VERSION_FIELDS = ("number", "original_filename", "mime_type", "size", "sha256", "page_count")


def _iso(value: datetime, zone: tzinfo) -> str:
    """What DRF's DateTimeField renders (ISO 8601 in the current time zone,
    "Z" for UTC) without its per-call time-zone lookups, which cost more
    than the rest of a row."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _duplicate_uuid(document: Document) -> str | None:
    if not document.duplicate_of_id:
        return None
    return str(getattr(document, "duplicate_uuid", None) or document.duplicate_of.uuid)


def _has_thumbnail(document: Document) -> bool:
    version = document.current_version
    if version is None:
        return False
    if hasattr(version, "thumbnails"):  # prefetched by api.views.base.with_related
        return bool(version.thumbnails)
    return version.previews.filter(kind=PreviewKind.THUMB_SMALL, page=1).exists()


class QueryListField(serializers.ListField):
    """A repeated query parameter (``?tag=1&tag=2``) or a comma-separated one."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str) and "," in data[0]:
            data = [part for part in data[0].split(",") if part]
        return super().to_internal_value(data)


class DocumentFilterSerializer(serializers.Serializer):
    """Filters shared by the document list and search."""

    collection = QueryListField(child=serializers.IntegerField(min_value=1), required=False)
    tag = QueryListField(child=serializers.IntegerField(min_value=1), required=False)
    tags_mode = serializers.ChoiceField(choices=["all", "any"], default="all")
    type = QueryListField(child=serializers.CharField(max_length=150), required=False)
    language = QueryListField(child=serializers.CharField(max_length=16), required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    uploaded_from = serializers.DateField(required=False)
    uploaded_to = serializers.DateField(required=False)
    uploader = QueryListField(child=serializers.IntegerField(min_value=1), required=False)
    status = QueryListField(child=serializers.ChoiceField(choices=ProcessingStatus.choices), required=False)


class DocumentListQuerySerializer(DocumentFilterSerializer):
    trashed = serializers.BooleanField(default=False, help_text="List the trash instead of live documents.")
    include = serializers.ChoiceField(choices=["text"], required=False, help_text="`text`: add the full text.")


#: Query parameters of the document list that the pagination reads itself.
PAGING_PARAMETERS = frozenset({"cursor", "page_size"})


def document_list_params(query: Any) -> dict[str, Any]:
    """The list's validated query parameters. Most requests carry none but
    the paging ones, and then there is nothing to validate: the defaults
    come without building a serializer, which costs as much as the rest of
    the request's Python."""
    if query.keys() <= PAGING_PARAMETERS:
        return {"trashed": False, "tags_mode": "all"}
    serializer = DocumentListQuerySerializer(data=query)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class DocumentCreateSerializer(serializers.Serializer):
    """Multipart upload of one or more files into a collection. Title,
    description, language, date and metadata apply only to a single file."""

    collection = serializers.IntegerField(min_value=1)
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), min_length=1)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    tags = QueryListField(child=serializers.IntegerField(min_value=1), required=False)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    document_date = serializers.DateField(required=False)
    metadata = serializers.JSONField(required=False, binary=True)

    def validate_metadata(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError("metadata must be a JSON object")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        per_document = {"title", "description", "language", "document_date", "metadata"} & set(attrs)
        if len(attrs["files"]) > 1 and per_document:
            raise serializers.ValidationError(
                dict.fromkeys(sorted(per_document), "only for a single file; edit each document afterwards")
            )
        return attrs


class UploadResultSerializer(serializers.Serializer):
    filename = serializers.CharField()
    status = serializers.IntegerField(help_text="201 when created, otherwise why it was refused (400, 413, 415).")
    error = serializers.CharField(allow_blank=True)
    document = DocumentSerializer(allow_null=True)


class UploadResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    results = UploadResultSerializer(many=True)


class DocumentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    document_date = serializers.DateField(required=False)
    metadata = serializers.DictField(required=False)
    tags = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    collection = serializers.IntegerField(min_value=1, required=False, help_text="Move to this collection.")


class VersionCreateSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class StepSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    error = serializers.CharField()
    enqueued_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ProcessingSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProcessingStatus.choices)
    version = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    steps = StepSerializer(many=True)


class CollectionSerializer(serializers.ModelSerializer):
    viewer_groups = serializers.SlugRelatedField(
        slug_field="name", many=True, required=False, queryset=Group.objects.all(), help_text="Superusers only."
    )
    editor_groups = serializers.SlugRelatedField(
        slug_field="name", many=True, required=False, queryset=Group.objects.all(), help_text="Superusers only."
    )
    ai_policy = serializers.ChoiceField(choices=AIPolicy.choices, required=False)

    class Meta:
        model = Collection
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "parent",
            "ai_policy",
            "trash_retention_days",
            "viewer_groups",
            "editor_groups",
            "created_at",
        ]
        read_only_fields = ["id", "slug", "created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        # A parent the caller cannot see is "does not exist", not "forbidden".
        self.fields["parent"].queryset = collections_visible_to(user) if user else Collection.objects.none()

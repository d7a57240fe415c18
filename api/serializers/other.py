"""Search, similar documents, answers, AI suggestions, audit events and API keys on the wire."""

from __future__ import annotations

from rest_framework import serializers

from ai.models import Suggestion
from api.models import ApiKey, Scope
from api.serializers.documents import DocumentFilterSerializer, DocumentSerializer
from documents.models import AuditEvent
from search.services.query import MODES, SORTS


class SearchQuerySerializer(DocumentFilterSerializer):
    q = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    mode = serializers.ChoiceField(choices=MODES, default="hybrid")
    sort = serializers.ChoiceField(choices=SORTS, default="relevance")
    page = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=20)
    explain = serializers.BooleanField(default=False)


class ExplainSerializer(serializers.Serializer):
    score = serializers.FloatField()
    keyword = serializers.DictField(child=serializers.FloatField(allow_null=True))
    semantic = serializers.DictField(child=serializers.FloatField(allow_null=True))


class HitSerializer(serializers.Serializer):
    document = DocumentSerializer()
    score = serializers.FloatField()
    passage = serializers.CharField(help_text="HTML-escaped, matches wrapped in <mark>.")
    passage_page = serializers.IntegerField(allow_null=True)
    explain = ExplainSerializer(required=False)


class NamedFacetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class TypeFacetSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()


class YearFacetSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    collections = NamedFacetSerializer(many=True)
    tags = NamedFacetSerializer(many=True)
    types = TypeFacetSerializer(many=True)
    years = YearFacetSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    mode = serializers.CharField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    did_you_mean = serializers.CharField(allow_null=True)
    semantic_available = serializers.BooleanField()
    facets = FacetsSerializer()
    hits = HitSerializer(many=True)


class SimilarQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=5)


class SimilarSerializer(serializers.Serializer):
    document = DocumentSerializer()
    similarity = serializers.FloatField()


class AskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=2000)


class CitationSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    document = DocumentSerializer()
    page = serializers.IntegerField(allow_null=True)
    passage = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField()
    text = serializers.CharField()
    found = serializers.BooleanField()
    provider = serializers.CharField()
    citations = CitationSerializer(many=True)


class SuggestionSerializer(serializers.ModelSerializer):
    document = serializers.UUIDField(source="document.uuid")
    tag = serializers.SerializerMethodField()
    collection = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = ["id", "document", "kind", "tag", "collection", "confidence", "status", "provider", "created_at"]
        read_only_fields = fields

    def get_tag(self, suggestion: Suggestion) -> str | None:
        return suggestion.tag.name if suggestion.tag_id else None

    def get_collection(self, suggestion: Suggestion) -> str | None:
        return suggestion.collection.name if suggestion.collection_id else None


class SuggestionQuerySerializer(serializers.Serializer):
    document = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=["pending", "accepted", "rejected", "auto_applied"], default="pending")


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "document_uuid",
            "ip_address",
            "user_agent",
            "details",
        ]
        read_only_fields = fields


class AuditQuerySerializer(serializers.Serializer):
    document = serializers.UUIDField(required=False)
    action = serializers.CharField(max_length=20, required=False)


class ApiKeySerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), min_length=1)
    active = serializers.BooleanField(source="is_active", read_only=True)
    rotated_from = serializers.CharField(source="rotated_from.prefix", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
            "rotated_from",
            "active",
        ]
        read_only_fields = ["id", "prefix", "revoked_at", "last_used_at", "created_at"]


class IssuedKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret: shown this once, never stored.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]

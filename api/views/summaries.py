"""A document's summary, with its provenance, and regenerating it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ai import selectors
from ai.errors import AIDisabled
from ai.services.summaries import summary_regenerate
from api.views.base import CatalogAPIView, document_or_404


class SummarySerializer(serializers.Serializer):
    text = serializers.CharField()
    provider = serializers.CharField()
    model = serializers.CharField(allow_blank=True)
    prompt_version = serializers.CharField(allow_blank=True)
    truncated = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class SummaryResponseSerializer(serializers.Serializer):
    summary = SummarySerializer(allow_null=True)


class RegenerateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["queued"])


class AIDisabledError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "ai_disabled"


class SummaryView(CatalogAPIView):
    @extend_schema(responses=SummaryResponseSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        """The summary of the document's current version (``null`` until one is made)."""
        document = document_or_404(request.user, uuid)
        return Response(SummaryResponseSerializer({"summary": selectors.summary_for(document)}).data)


class SummaryRegenerateView(CatalogAPIView):
    @extend_schema(request=None, responses={202: RegenerateSerializer})
    def post(self, request: Request, uuid: str) -> Response:
        """Summarise the current version again, asking the providers afresh (in the background)."""
        document = document_or_404(request.user, uuid)
        try:
            summary_regenerate(document, request.user)
        except AIDisabled as exc:
            raise AIDisabledError(exc.reason) from None
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)

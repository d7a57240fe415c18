"""Search, similar documents and answers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from ai.services.answers import ask
from api.serializers.documents import DocumentSerializer
from api.serializers.other import (
    AnswerSerializer,
    AskSerializer,
    SearchQuerySerializer,
    SearchResponseSerializer,
    SimilarQuerySerializer,
    SimilarSerializer,
)
from api.views.base import CatalogAPIView, document_or_404, filters_from, with_related
from documents.models import Document
from search.services.query import search
from search.services.similar import similar_documents


def _documents_for(ids: list[int]) -> dict[int, Document]:
    return with_related(Document.objects.all()).in_bulk(ids)


class SearchView(CatalogAPIView):
    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResponseSerializer)
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        results = search(
            user=request.user,
            query=params["q"],
            mode=params["mode"],
            filters=filters_from(params),
            page=params["page"],
            page_size=params["page_size"],
            sort=params["sort"],
            explain=params["explain"],
        )
        # The hits' documents are already access-checked by search(); load
        # them with everything the serializer reads.
        documents = _documents_for([hit.document_id for hit in results.hits])
        hits = []
        for hit in results.hits:
            item = {
                "document": DocumentSerializer(documents[hit.document_id]).data,
                "score": hit.score,
                "passage": hit.passage,
                "passage_page": hit.passage_page,
            }
            if results.explain:
                item["explain"] = hit.explain()
            hits.append(item)
        return Response(
            {
                "query": results.query,
                "mode": results.mode,
                "total": results.total,
                "page": results.page,
                "pages": results.pages,
                "page_size": results.page_size,
                "did_you_mean": results.did_you_mean,
                "semantic_available": results.semantic_available,
                "facets": results.facets,
                "hits": hits,
            }
        )


class SimilarView(CatalogAPIView):
    @extend_schema(parameters=[SimilarQuerySerializer], responses=SimilarSerializer(many=True))
    def get(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid)
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        similar = similar_documents(user=request.user, document=document, limit=query.validated_data["limit"])
        documents = _documents_for([item.document.pk for item in similar])
        return Response(
            [
                {"document": DocumentSerializer(documents[item.document.pk]).data, "similarity": item.similarity}
                for item in similar
            ]
        )


class AskView(CatalogAPIView):
    required_scope = "read"

    @extend_schema(request=AskSerializer, responses=AnswerSerializer)
    def post(self, request: Request) -> Response:
        form = AskSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        answer = ask(user=request.user, question=form.validated_data["question"])
        documents = _documents_for([c.document.pk for c in answer.citations])
        return Response(
            {
                "question": answer.question,
                "text": answer.text,
                "found": answer.found,
                "provider": answer.provider,
                "citations": [
                    {
                        "number": c.number,
                        "document": DocumentSerializer(documents[c.document.pk]).data,
                        "page": c.page,
                        "passage": c.passage,
                    }
                    for c in answer.citations
                ],
            }
        )

"""Tag and collection suggestions, and their review.

A model may only choose among the catalog's existing tags and collections:
the choices are listed in the request (and in the schema) and anything else
in its answer is dropped. The local fallback is a vote of the document's
nearest neighbours by meaning, weighted by similarity. Suggestions wait for
a librarian, unless the document's collection applies tags above its
confidence threshold automatically; a move to another collection changes
who may see the document, so it is never applied without review.
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ai.errors import AIDisabled, SuggestionAlreadyDecided
from ai.models import Suggestion, SuggestionKind, SuggestionStatus
from ai.providers import embedding_backend
from ai.providers.base import GenerationRequest, GenerationResult
from ai.services.cache import InvalidOutput, cached_generate
from ai.services.text import UNTRUSTED_RULES, bound_text, content_hash, estimate_tokens, untrusted
from documents import selectors
from documents.models import AIPolicy, AuditAction, Collection, Document, DocumentVersion, Tag
from documents.pipeline import notify_documents_changed
from documents.services import RequestMeta, audit_record, documents_move, documents_tag

logger = logging.getLogger(__name__)

CAPABILITY = "suggestions"
PROMPT_VERSION = "1"
MAX_TAGS = 5
MAX_COLLECTIONS = 1
#: Choices listed in one request; a larger catalog lists its first ones by name.
MAX_CHOICES = 500
#: Neighbours less similar than this do not vote.
MIN_NEIGHBOUR_SIMILARITY = 0.2
SYSTEM = (
    "You help librarians file one document. Choose the tags that describe it and, only if it "
    "clearly belongs elsewhere, the collection it belongs in — strictly from the allowed names "
    "listed, spelled exactly as listed. Give each choice a confidence between 0 and 1. Reply with "
    'a JSON object {"tags": [{"name", "confidence"}], "collections": [{"name", "confidence"}]}; '
    "empty lists are fine. " + UNTRUSTED_RULES
)


@dataclass
class Choices:
    tags: dict[str, Tag]
    collections: dict[str, Collection]


def _choices(document: Document) -> Choices:
    tags = Tag.objects.order_by("name")[:MAX_CHOICES]
    collections = Collection.objects.exclude(pk=document.collection_id).order_by("name")[:MAX_CHOICES]
    return Choices(
        tags={tag.name.casefold(): tag for tag in tags},
        collections={collection.name.casefold(): collection for collection in collections},
    )


def _choice_schema(names: list[str], limit: int) -> dict:
    name: dict[str, Any] = {"type": "string"}
    if names:
        name["enum"] = names
    return {
        "type": "array",
        "maxItems": limit,
        "items": {
            "type": "object",
            "properties": {"name": name, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
            "required": ["name", "confidence"],
            "additionalProperties": False,
        },
    }


def build_request(text: str, choices: Choices) -> GenerationRequest:
    tag_names = [tag.name for tag in choices.tags.values()]
    collection_names = [collection.name for collection in choices.collections.values()]
    header = (
        f"Allowed tags: {json.dumps(tag_names, ensure_ascii=False)}\n"
        f"Allowed collections: {json.dumps(collection_names, ensure_ascii=False)}\n"
    )
    bounded = bound_text(text, settings.AI_INPUT_MAX_TOKENS - estimate_tokens(header))
    if bounded.truncated:
        header += (
            f"The document is about {bounded.original_tokens} tokens long; only its first "
            f"{estimate_tokens(bounded.text)} tokens are included.\n"
        )
    schema = {
        "type": "object",
        "properties": {
            "tags": _choice_schema(tag_names, MAX_TAGS),
            "collections": _choice_schema(collection_names, MAX_COLLECTIONS),
        },
        "required": ["tags", "collections"],
        "additionalProperties": False,
    }
    return GenerationRequest(
        capability=CAPABILITY,
        system=SYSTEM,
        prompt=header + "\n" + untrusted("document", bounded.text),
        schema=schema,
        max_output_tokens=400,
        prompt_version=PROMPT_VERSION,
    )


def _confidence(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return value if 0.0 <= value <= 1.0 else None


def _pick(items: Any, allowed: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    best: dict[str, float] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        key = item["name"].strip().casefold()
        confidence = _confidence(item.get("confidence"))
        if key in allowed and confidence is not None:
            best[key] = max(confidence, best.get(key, 0.0))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"name": allowed[key].name, "confidence": round(confidence, 4)} for key, confidence in ranked]


def validate_suggestions(result: GenerationResult, choices: Choices) -> GenerationResult:
    """Only allowed names with a confidence in [0, 1] survive; everything else is dropped."""
    data = result.data
    if data is None and result.text:
        try:
            data = json.loads(result.text)
        except ValueError:
            data = None
    if not isinstance(data, dict):
        raise InvalidOutput("expected an object with 'tags' and 'collections'")
    return GenerationResult(
        data={
            "tags": _pick(data.get("tags"), choices.tags, MAX_TAGS),
            "collections": _pick(data.get("collections"), choices.collections, MAX_COLLECTIONS),
        },
        provider=result.provider,
        model=result.model,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
    )


def local_model_id() -> str:
    return f"neighbours/{embedding_backend().model.name}"


def neighbour_vote(document: Document, choices: Choices) -> dict[str, list[dict[str, Any]]]:
    """Tags and collections of the document's nearest neighbours by meaning.

    A choice's confidence is the similarity-weighted share of neighbours that
    have it, with one extra unit of weight in the denominator so that a
    single close neighbour does not make a certainty.
    """
    from search.services.similar import similar_documents

    neighbours = [
        n
        for n in similar_documents(user=None, document=document, limit=settings.AI_SUGGESTION_NEIGHBOURS)
        if n.similarity >= MIN_NEIGHBOUR_SIMILARITY
    ]
    if not neighbours:
        return {"tags": [], "collections": []}
    weights = {n.document.pk: n.similarity for n in neighbours}
    total = sum(weights.values()) + 1.0
    tag_votes: dict[str, float] = defaultdict(float)
    for doc_id, name in Document.tags.through.objects.filter(document_id__in=weights).values_list(
        "document_id", "tag__name"
    ):
        tag_votes[name] += weights[doc_id]
    collection_votes: dict[str, float] = defaultdict(float)
    own = 0.0
    for n in neighbours:
        if n.document.collection_id == document.collection_id:
            own += n.similarity
        else:
            collection_votes[n.document.collection.name] += n.similarity

    def ranked(votes: dict[str, float], above: float = 0.0) -> list[dict[str, Any]]:
        return [{"name": name, "confidence": vote / total} for name, vote in votes.items() if vote > above]

    # Another collection only when more of the neighbours live there than in the document's own.
    return {"tags": ranked(tag_votes), "collections": ranked(collection_votes, above=own)}


def version_suggest(*, version: DocumentVersion, user: Any = None, force: bool = False) -> list[Suggestion] | None:
    """Suggest tags and a collection for the version's document (pending
    review, or applied when its collection opted in). ``None`` when there is
    nothing to go on. Re-running replaces the pending suggestions; decided
    ones are kept and never suggested again."""
    document = Document.objects.select_related("collection").get(pk=version.document_id)
    if document.collection.ai_policy == AIPolicy.DISABLED:
        raise AIDisabled
    if document.current_version_id != version.pk:
        return None  # a newer version will be looked at instead
    text = version.text
    if not text.strip():
        return None
    choices = _choices(document)
    if not choices.tags and not choices.collections:
        return None
    request = build_request(text, choices)

    def local() -> GenerationResult:
        return GenerationResult(data=neighbour_vote(document, choices), provider="local", model=local_model_id())

    result = cached_generate(
        request,
        content_hash=content_hash(request.system, request.prompt, request.schema),
        local=local,
        local_model=local_model_id(),
        validate=lambda r: validate_suggestions(r, choices),
        document=document,
        user=user,
        use_cache=not force,
    )
    return _store(document, result, choices)


@transaction.atomic
def _store(document: Document, result: GenerationResult, choices: Choices) -> list[Suggestion]:
    minimum = settings.AI_SUGGESTION_MIN_CONFIDENCE
    decided = set(
        Suggestion.objects.filter(document=document)
        .exclude(status=SuggestionStatus.PENDING)
        .values_list("kind", "tag_id", "collection_id")
    )
    has_tags = set(document.tags.values_list("pk", flat=True))
    Suggestion.objects.filter(document=document, status=SuggestionStatus.PENDING).delete()
    provenance = {"provider": result.provider, "model": result.model, "prompt_version": PROMPT_VERSION}
    created: list[Suggestion] = []
    auto: list[Suggestion] = []
    for item in result.data["tags"]:
        tag = choices.tags[item["name"].casefold()]
        if item["confidence"] < minimum or tag.pk in has_tags or (SuggestionKind.TAG, tag.pk, None) in decided:
            continue
        suggestion = Suggestion(
            document=document, kind=SuggestionKind.TAG, tag=tag, confidence=item["confidence"], **provenance
        )
        collection = document.collection
        if collection.ai_auto_apply and item["confidence"] >= collection.ai_auto_apply_threshold:
            suggestion.status = SuggestionStatus.AUTO_APPLIED
            suggestion.decided_at = timezone.now()
            auto.append(suggestion)
        created.append(suggestion)
    for item in result.data["collections"]:
        collection = choices.collections[item["name"].casefold()]
        key = (SuggestionKind.COLLECTION, None, collection.pk)
        if item["confidence"] < minimum or collection.pk == document.collection_id or key in decided:
            continue
        created.append(
            Suggestion(
                document=document,
                kind=SuggestionKind.COLLECTION,
                collection=collection,
                confidence=item["confidence"],
                **provenance,
            )
        )
    for suggestion in created:
        suggestion.full_clean()
    Suggestion.objects.bulk_create(created)
    if auto:
        _auto_apply(document, auto)
    return created


def _auto_apply(document: Document, suggestions: list[Suggestion]) -> None:
    """Tags the collection asked to have applied without review. No user
    acts here, so this is recorded in the audit trail as the system's."""
    tags = [s.tag for s in suggestions]
    document.tags.add(*tags)
    Document.objects.filter(pk=document.pk).update(updated_at=timezone.now())
    audit_record(
        actor=None,
        action=AuditAction.EDIT,
        obj=document,
        details={
            "tags_added": [tag.name for tag in tags],
            "auto_applied_suggestions": [s.pk for s in suggestions],
            "confidence": {tag.name: s.confidence for tag, s in zip(tags, suggestions, strict=True)},
        },
    )
    notify_documents_changed([document.pk])


# --- Review ----------------------------------------------------------------------


def suggestions_for_review(user: Any):
    """Pending suggestions on documents ``user`` may edit: the review queue."""
    editable = selectors.documents_editable_by(user).values("pk")
    return Suggestion.objects.filter(status=SuggestionStatus.PENDING, document__in=editable).select_related(
        "document", "document__collection", "tag", "collection"
    )


def _locked_pending(suggestion: Suggestion, user: Any) -> Suggestion:
    locked = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("document", "tag", "collection")
        .get(pk=suggestion.pk)
    )
    if not selectors.documents_editable_by(user).filter(pk=locked.document_id).exists():
        raise PermissionDenied("You may not edit this document.")
    if locked.status != SuggestionStatus.PENDING:
        raise SuggestionAlreadyDecided(f"This suggestion was already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def suggestion_accept(suggestion: Suggestion, user: Any, meta: RequestMeta | None = None) -> Suggestion:
    """Apply the suggestion through the curation services (permissions and
    audit as for any edit) and record who accepted it. Raises
    ``PermissionDenied`` or ``SuggestionAlreadyDecided`` (a ``ValidationError``)."""
    suggestion = _locked_pending(suggestion, user)
    if suggestion.kind == SuggestionKind.TAG:
        documents_tag(user=user, documents=[suggestion.document], add=[suggestion.tag])
    else:
        documents_move(user=user, documents=[suggestion.document], collection=suggestion.collection, meta=meta)
    return _decide(suggestion, SuggestionStatus.ACCEPTED, user)


@transaction.atomic
def suggestion_reject(suggestion: Suggestion, user: Any, meta: RequestMeta | None = None) -> Suggestion:
    suggestion = _locked_pending(suggestion, user)
    return _decide(suggestion, SuggestionStatus.REJECTED, user)


def _decide(suggestion: Suggestion, status: str, user: Any) -> Suggestion:
    suggestion.status = status
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.full_clean()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


@dataclass
class ReviewOutcome:
    done: int = 0
    refused: int = 0
    already_decided: int = 0


def suggestions_decide(suggestions: Iterable[Suggestion], user: Any, *, accept: bool) -> ReviewOutcome:
    """Accept or reject several suggestions, each on its own: one the user may
    not apply does not undo the others."""
    outcome = ReviewOutcome()
    decide = suggestion_accept if accept else suggestion_reject
    for suggestion in suggestions:
        try:
            decide(suggestion, user)
        except PermissionDenied:
            outcome.refused += 1
        except SuggestionAlreadyDecided:
            outcome.already_decided += 1
        else:
            outcome.done += 1
    return outcome

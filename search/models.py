"""Search indexes: passages with their embeddings, and a weighted full-text
vector per document."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from pgvector.django import VectorField

from documents.models import Document, DocumentVersion


class DocumentChunk(models.Model):
    """A passage of ~200 words of one version, with the pages it spans."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="chunks")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    page_start = models.PositiveIntegerField()
    page_end = models.PositiveIntegerField()
    text = models.TextField()
    content_hash = models.CharField(max_length=64, db_index=True)
    word_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="unique_chunk_number")]
        indexes = [models.Index(fields=["document", "version"])]

    def __str__(self) -> str:
        return f"{self.version} chunk {self.number} (p.{self.page_start})"


class ChunkEmbedding(models.Model):
    """One chunk's vector in one model's space. Only chunks of a document's
    current version have embeddings (older versions' are removed once the new
    version is embedded).

    The column has no fixed dimensions so several models can coexist while a
    new one is filled in; each model gets its own partial HNSW index over
    ``embedding::vector(N)`` (see ``search.services.spaces``).
    """

    chunk = models.ForeignKey(DocumentChunk, on_delete=models.CASCADE, related_name="embeddings")
    # Copied from the chunk so the permission filter applies to the table the
    # HNSW index scans: pgvector then filters while it walks the graph
    # (iterative scan) instead of the planner joining and sorting everything.
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The access-control facts of the document, kept in step by the change
    # listener, so the common search (permissions only) filters on plain
    # columns of this table and the planner walks the HNSW index.
    collection_id = models.BigIntegerField(default=0)
    trashed = models.BooleanField(default=False)
    model_id = models.CharField(max_length=120)
    content_hash = models.CharField(max_length=64)
    embedding = VectorField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chunk", "model_id"], name="unique_chunk_embedding")]
        indexes = [
            models.Index(fields=["content_hash", "model_id"]),
            # The exact-scan path for a small visible set, and a document's own vectors.
            models.Index(fields=["collection_id"], name="search_emb_collection"),
            models.Index(fields=["document"], name="search_emb_document"),
        ]

    def __str__(self) -> str:
        return f"{self.chunk_id} in {self.model_id}"


class SpaceState(models.TextChoices):
    BUILDING = "building", "Building"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class EmbeddingSpace(models.Model):
    """A model's vector space. Search reads the active one; a new model is
    ``building`` until every chunk has a vector in it, then takes over."""

    model_id = models.CharField(max_length=120, unique=True)
    dimensions = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=SpaceState.choices, default=SpaceState.BUILDING)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="active"), name="one_active_embedding_space"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} ({self.state})"

    @property
    def index_name(self) -> str:
        import hashlib

        return "search_emb_hnsw_" + hashlib.sha1(self.model_id.encode()).hexdigest()[:12]  # noqa: S324


class DocumentSearchIndex(models.Model):
    """The weighted full-text vector of a document: title A; tags, collection,
    description, metadata and summary B; body C — in the document's language."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, primary_key=True, related_name="search_index")
    config = models.CharField(max_length=32, default="simple")
    search_vector = SearchVectorField(null=True)
    # Title, tags, collection, description and metadata only (weights A and
    # B): small, with its own GIN index, so the best candidates for a very
    # common word — documents that carry it in those fields — are found
    # without reading every body that contains it.
    head_vector = SearchVectorField(null=True)
    # The document's access facts, copied (as on ChunkEmbedding) so keyword
    # search filters permissions on the scanned table instead of joining.
    collection_id = models.BigIntegerField(default=0)
    trashed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="search_document_vector_gin"),
            GinIndex(fields=["head_vector"], name="search_document_head_gin"),
            # With the GIN bitmap, finds a user's few visible matches of a common word.
            models.Index(fields=["collection_id"], name="search_document_collection"),
        ]

    def __str__(self) -> str:
        return f"index of {self.document_id}"


class NearDuplicate(models.Model):
    """A document whose meaning is nearly identical to an earlier one's."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="near_duplicate")
    similar_to = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    found_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.document_id} ≈ {self.similar_to_id} ({self.similarity:.3f})"


class TermStatistic(models.Model):
    """How many documents' full-text vectors contain a lexeme: the inverse
    document frequency of keyword ranking, and the estimate that bounds how
    many matches a query ranks. Kept in step by ``documents_reindex``; purges
    and concurrent edits can leave it slightly off until the next rebuild
    (``manage.py search_termstats``, also run by beat)."""

    lexeme = models.TextField(primary_key=True)
    documents = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.lexeme}: {self.documents}"

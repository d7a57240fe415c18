"""Rebuild the full-text index of every document and recount the keyword
term statistics.

    manage.py search_reindex [--batch 500] [--statistics-only]

Needed once after upgrading to a release that adds columns to the index
(the title/tag vector, the copied access facts); safe to run at any time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from documents.models import Document
from search.services.index import documents_reindex, term_statistics_rebuild


class Command(BaseCommand):
    help = "Rebuild every document's full-text index and recount the keyword term statistics."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--statistics-only", action="store_true", help="Only recount the term statistics.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["statistics_only"]:
            ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
            batch = max(1, options["batch"])
            for start in range(0, len(ids), batch):
                documents_reindex(ids[start : start + batch])
            self.stdout.write(f"Re-indexed {len(ids)} documents")
        self.stdout.write(f"Recounted {term_statistics_rebuild()} lexemes")

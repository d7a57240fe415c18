"""Measure search quality on the Cranfield collection, mode by mode.

    manage.py search_eval [--path ../shared/eval/cranfield] [--modes hybrid,keyword,semantic]
                          [--queries N] [--json results.json] [--keep]

The 1,400 abstracts are loaded into a scratch collection through the normal
upload service and pipeline (previews skipped), the 225 queries are run as a
superuser, and nDCG@10, Recall@100 and MRR are printed per mode. The scratch
collection is purged afterwards unless ``--keep``.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from documents import services
from documents.models import Collection, Document
from search import evaluation
from search.services.query import RRF_K, search

SCRATCH_SLUG = "cranfield-evaluation"
SKIPPED_STEPS = {"previews"}


class Command(BaseCommand):
    help = "Measure nDCG@10, Recall@100 and MRR of each search mode on the Cranfield collection."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--path", default=str(Path(settings.BASE_DIR).parent / "shared" / "eval" / "cranfield"))
        parser.add_argument("--modes", default="keyword,semantic,hybrid")
        parser.add_argument("--queries", type=int, default=0, help="Only the first N queries (0: all).")
        parser.add_argument("--json", dest="json_path", default="")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch collection afterwards.")
        parser.add_argument(
            "--fusion-grid",
            default="",
            help="Comma-separated keyword weights: also report hybrid nDCG@10 re-fused with each "
            "(semantic weight 1, from the top 100 hybrid candidates of each query).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["path"])
        if not (folder / "cran.all.1400").exists():
            raise CommandError(f"the Cranfield collection is not at {folder} (use --path)")
        user = self._evaluator()
        collection, _ = Collection.objects.get_or_create(
            slug=SCRATCH_SLUG, defaults={"name": "Cranfield evaluation (scratch)"}
        )
        started = time.monotonic()
        by_document = self._load(folder, collection, user)
        load_seconds = time.monotonic() - started
        queries = evaluation.load_queries(folder)
        if options["queries"]:
            queries = queries[: options["queries"]]
        judgments = evaluation.load_judgments(folder)
        report: dict[str, Any] = {"documents": len(by_document), "load_seconds": round(load_seconds, 1), "modes": {}}
        for mode in [m.strip() for m in options["modes"].split(",") if m.strip()]:
            runs, latencies = {}, []
            for position, query in enumerate(queries, start=1):
                t = time.monotonic()
                results = search(user=user, query=query, mode=mode, page_size=100)
                latencies.append((time.monotonic() - t) * 1000)
                runs[position] = [
                    by_document[hit.document_id] for hit in results.hits if hit.document_id in by_document
                ]
            summary = evaluation.summarise(runs, judgments)
            latencies.sort()
            summary["p50_ms"] = round(latencies[len(latencies) // 2], 1)
            summary["p95_ms"] = round(latencies[int(len(latencies) * 0.95) - 1], 1)
            report["modes"][mode] = summary
            self.stdout.write(
                f"{mode:9s} nDCG@10 {summary['ndcg@10']:.3f}  Recall@100 {summary['recall@100']:.3f}  "
                f"MRR {summary['mrr']:.3f}  p50 {summary['p50_ms']} ms  p95 {summary['p95_ms']} ms  "
                f"({summary['queries']} queries)"
            )
        grid = [float(w) for w in options["fusion_grid"].split(",") if w.strip()]
        if grid:
            report["fusion_grid"] = self._fusion_grid(user, queries, judgments, by_document, grid)
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(report, indent=2))
        if not options["keep"]:
            for document in Document.objects.filter(collection=collection):
                services.document_purge(document=document)
            collection.delete()

    def _fusion_grid(
        self, user: Any, queries: list[str], judgments: dict, by_document: dict[int, int], weights: list[float]
    ) -> dict[str, float]:
        """Hybrid nDCG@10 for other keyword weights, re-fusing each query's
        top 100 hybrid candidates by their keyword and semantic ranks."""
        candidates = {}
        for position, query in enumerate(queries, start=1):
            hits = search(user=user, query=query, mode="hybrid", page_size=100).hits
            candidates[position] = [
                (by_document[h.document_id], h.keyword_rank, h.semantic_rank)
                for h in hits
                if h.document_id in by_document
            ]
        grid = {}
        for weight in weights:
            runs = {}
            for position, rows in candidates.items():
                scored = [
                    ((weight / (RRF_K + kr) if kr else 0.0) + (1.0 / (RRF_K + sr) if sr else 0.0), doc)
                    for doc, kr, sr in rows
                ]
                runs[position] = [doc for _, doc in sorted(scored, key=lambda pair: -pair[0])]
            grid[f"{weight:g}"] = round(evaluation.summarise(runs, judgments)["ndcg@10"], 4)
            self.stdout.write(f"hybrid with keyword weight {weight:g}: nDCG@10 {grid[f'{weight:g}']:.3f}")
        return grid

    def _evaluator(self) -> Any:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username="search-evaluation", defaults={"is_superuser": True, "is_staff": True, "is_active": True}
        )
        return user

    def _load(self, folder: Path, collection: Collection, user: Any) -> dict[int, int]:
        """Upload and process the abstracts once; returns document id → Cranfield number."""
        loaded = dict(Document.objects.filter(collection=collection).values_list("id", "metadata__cranfield"))
        if len(loaded) >= 1400:
            return {doc_id: int(number) for doc_id, number in loaded.items()}
        for document in Document.objects.filter(collection=collection):
            services.document_purge(document=document)
        mapping: dict[int, int] = {}
        for index, cran in enumerate(evaluation.load_documents(folder), start=1):
            document = services.document_create(
                user=user,
                collection=collection,
                stream=io.BytesIO(f"{cran.title}\n\n{cran.text}".encode()),
                filename=f"cran-{cran.number}.txt",
                title=cran.title[:500] or f"Cranfield {cran.number}",
                language="en",
                metadata={"cranfield": cran.number},
            )
            for step in document.current_version.steps.order_by("position"):
                if step.name not in SKIPPED_STEPS:
                    services.step_execute(version_id=document.current_version_id, step_name=step.name)
            mapping[document.pk] = cran.number
            if index % 200 == 0:
                self.stdout.write(f"  loaded {index} documents")
        return mapping

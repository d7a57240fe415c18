"""Search quality on the Cranfield collection: nDCG@10, Recall@100, MRR.

The collection is read in place (``cran.all.1400``, ``cran.qry``,
``cranqrel``); judgments number queries by their position in ``cran.qry``.
Gain is ``5 - grade`` for grades 1..4 and 0 otherwise.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_RECORD = re.compile(r"^\.I\s+(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class CranDocument:
    number: int
    title: str
    text: str


def _fields(body: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    current = None
    for line in body.splitlines():
        if re.match(r"^\.[TABW]\s*$", line):
            current = line[1]
            fields[current] = ""
        elif current:
            fields[current] += line + "\n"
    return {key: " ".join(value.split()) for key, value in fields.items()}


def _records(text: str) -> Iterable[tuple[int, str]]:
    matches = list(_RECORD.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        yield int(match.group(1)), text[match.end() : end]


def load_documents(folder: Path) -> list[CranDocument]:
    raw = (folder / "cran.all.1400").read_text(encoding="latin-1")
    documents = []
    for number, body in _records(raw):
        fields = _fields(body)
        documents.append(CranDocument(number=number, title=fields.get("T", ""), text=fields.get("W", "")))
    return documents


def load_queries(folder: Path) -> list[str]:
    raw = (folder / "cran.qry").read_text(encoding="latin-1")
    return [_fields(body).get("W", "") for _, body in _records(raw)]


def load_judgments(folder: Path) -> dict[int, dict[int, int]]:
    """query position (1-based) → {document number: gain}."""
    judgments: dict[int, dict[int, int]] = defaultdict(dict)
    for line in (folder / "cranqrel").read_text().splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        query, document, grade = int(parts[0]), int(parts[1]), int(parts[2])
        judgments[query][document] = 5 - grade if 1 <= grade <= 4 else 0
    return judgments


def ndcg_at(ranked: list[int], gains: dict[int, int], k: int = 10) -> float:
    dcg = sum(gains.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], start=1))
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[int], gains: dict[int, int], k: int = 100) -> float:
    relevant = {doc for doc, gain in gains.items() if gain > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[int], gains: dict[int, int]) -> float:
    for rank, doc in enumerate(ranked, start=1):
        if gains.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def summarise(runs: dict[int, list[int]], judgments: dict[int, dict[int, int]]) -> dict[str, float]:
    judged = [query for query in runs if any(g > 0 for g in judgments.get(query, {}).values())]
    if not judged:
        return {"ndcg@10": 0.0, "recall@100": 0.0, "mrr": 0.0, "queries": 0}
    return {
        "ndcg@10": sum(ndcg_at(runs[q], judgments[q]) for q in judged) / len(judged),
        "recall@100": sum(recall_at(runs[q], judgments[q]) for q in judged) / len(judged),
        "mrr": sum(reciprocal_rank(runs[q], judgments[q]) for q in judged) / len(judged),
        "queries": len(judged),
    }

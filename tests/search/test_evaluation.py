import math
from pathlib import Path

import pytest

from search import evaluation

CRANFIELD = Path(__file__).resolve().parents[3] / "shared" / "eval" / "cranfield"


def test_metrics_on_a_hand_computed_ranking() -> None:
    gains = {1: 4, 2: 1, 3: 0}

    assert evaluation.reciprocal_rank([9, 2, 1], gains) == pytest.approx(1 / 2)
    assert evaluation.recall_at([2, 9], gains, k=2) == pytest.approx(1 / 2)
    ideal = 4 / math.log2(2) + 1 / math.log2(3)
    assert evaluation.ndcg_at([2, 1], gains) == pytest.approx((1 / math.log2(2) + 4 / math.log2(3)) / ideal)
    assert evaluation.ndcg_at([1, 2], gains) == pytest.approx(1.0)


def test_cranfield_files_parse_as_described() -> None:
    documents = evaluation.load_documents(CRANFIELD)
    queries = evaluation.load_queries(CRANFIELD)
    judgments = evaluation.load_judgments(CRANFIELD)

    assert len(documents) == 1400
    assert documents[0].number == 1 and "slipstream" in documents[0].text
    assert len(queries) == 225
    assert max(judgments) == 225
    assert all(gain in (0, 1, 2, 3, 4) for graded in judgments.values() for gain in graded.values())

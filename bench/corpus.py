"""The PDFs the benchmarks work on.

``generated_corpus`` writes born-digital reports (text layer, Helvetica, A4)
with ``documents.demo.pdfwriter``: the same sentences recombined with a fixed
seed, so every run measures the same bytes while no two documents are
identical (identical uploads would be flagged as duplicates).
``real_corpus`` lists the shared sample PDFs, read in place.
"""

from __future__ import annotations

import json
import logging
import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

from documents.demo.pdfwriter import LINES_PER_PAGE, WRAP_COLUMNS, render_pdf

logger = logging.getLogger(__name__)

REAL_CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdf"
SEED = 20240611

TOPICS = [
    "the reading room",
    "the digitisation programme",
    "the records retention schedule",
    "the conservation studio",
    "the staff handbook",
    "the loans desk",
    "the map collection",
    "the oral history project",
    "the offsite store",
    "the photographic archive",
]
PEOPLE = ["the head of collections", "the archivist", "the finance officer", "the board", "the project lead"]
SENTENCES = [
    "{Topic} received {n} requests in the quarter, {p} per cent more than in the same period last year.",
    "{Person} reported that the backlog for {topic} fell to {n} items by the end of {month}.",
    "Humidity in {topic} stayed between 45 and 55 per cent for {p} per cent of the hours logged.",
    "The committee agreed to review {topic} again in {month}, once the survey results are available.",
    "A budget of {n} euros was approved for {topic}, to be spent before the end of the financial year.",
    "{Person} noted that volunteers contributed {n} hours to {topic}, mostly on cataloguing and indexing.",
    "Items older than {n} years are handled with gloves and never photocopied; scans are made instead.",
    "The new shelving in {topic} adds roughly {n} linear metres, which covers growth for about {p} years.",
    "Incidents are logged within one working day and summarised for {person} every {month}.",
    "Of the {n} boxes audited in {topic}, {p} were found with labels that did not match the catalog record.",
    "Visitors must book a slot for {topic} at least two days ahead; walk-ins are accepted when space allows.",
    "{Person} asked for a clearer escalation path when a document in {topic} is found damaged on return.",
    "The pilot in {topic} showed that {p} per cent of searches ended with a document being opened.",
    "Training on {topic} will be repeated in {month} for the {n} members of staff who missed the first session.",
    "Files transferred to {topic} are checked against their manifest and any gaps are reported within a week.",
    "It was agreed that {topic} would publish its annual figures in {month}, together with the audit notes.",
]
MONTHS = ["January", "March", "April", "June", "September", "October", "November", "December"]


@dataclass(frozen=True)
class GeneratedPdf:
    filename: str
    title: str
    pages: int
    data: bytes


def _sentence(rng: random.Random) -> str:
    topic, person = rng.choice(TOPICS), rng.choice(PEOPLE)
    text = rng.choice(SENTENCES).format(
        topic=topic,
        Topic=topic[0].upper() + topic[1:],
        person=person,
        Person=person[0].upper() + person[1:],
        n=rng.randint(3, 4800),
        p=rng.randint(2, 97),
        month=rng.choice(MONTHS),
    )
    return text


def _paragraphs_for(pages: int, rng: random.Random) -> list[str]:
    """Paragraphs that fill exactly ``pages`` pages of ``render_pdf``'s layout:
    it wraps at WRAP_COLUMNS, leaves a blank line after each paragraph and
    gives the first page three lines fewer (the title)."""
    needed = (pages - 1) * LINES_PER_PAGE - 3  # lines that fill all pages but the last
    paragraphs: list[str] = []
    lines = 0
    # One paragraph is at most ~8 lines, far less than a page, so stopping at
    # the first paragraph that spills onto the last page never overshoots it.
    while lines <= needed:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        lines += len(textwrap.wrap(paragraph, WRAP_COLUMNS)) + 1
    return paragraphs


def generated_corpus(documents: int = 20, pages: int = 50, seed: int = SEED) -> list[GeneratedPdf]:
    rng = random.Random(seed)
    corpus = []
    for number in range(1, documents + 1):
        title = f"Quarterly operations report {number:02d}: {rng.choice(TOPICS)}"
        data = render_pdf(title, _paragraphs_for(pages, rng), author="Operations team")
        corpus.append(GeneratedPdf(filename=f"operations-report-{number:02d}.pdf", title=title, pages=pages, data=data))
    logger.info("Generated %d PDFs of %d pages (%.1f MB)", documents, pages, sum(len(d.data) for d in corpus) / 1e6)
    return corpus


def write_corpus(corpus: list[GeneratedPdf], directory: Path) -> list[Path]:
    paths = []
    for document in corpus:
        path = directory / document.filename
        path.write_bytes(document.data)
        paths.append(path)
    return paths


def real_corpus(directory: Path = REAL_CORPUS_DIR) -> tuple[list[Path], list[str]]:
    """The shared sample PDFs that open without a password, and the names of
    those skipped. Empty if the shared corpus is not on this machine."""
    if not directory.is_dir():
        logger.warning("No shared PDF corpus at %s", directory)
        return [], []
    encrypted: set[str] = set()
    listing = directory / "files.json"
    if listing.exists():
        for entry in json.loads(listing.read_text())["data"]:
            if entry.get("encrypted"):
                encrypted.add(entry["path"].rpartition("/")[2])
    paths = sorted(path for path in directory.glob("*.pdf") if path.name not in encrypted)
    skipped = sorted(name for name in encrypted if (directory / name).exists())
    return paths, skipped

"""The demo catalog: collections, tags and documents, written for this project.

``build_files`` renders each entry into a real file of its format (PDF,
DOCX, XLSX, Markdown, CSV, HTML, PNG) so the demo exercises the same
pipeline as real uploads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from documents.demo.pdfwriter import render_pdf

GROUPS = {"staff": "Staff", "librarians": "Librarians", "board": "Board"}

COLLECTIONS = [
    # slug, name, description, viewer group keys, editor group keys, ai policy
    ("handbook", "Staff handbook", "Policies and how-tos for everyone.", ["staff"], ["librarians"], "external_allowed"),
    (
        "research",
        "Research",
        "Reports and studies from the research team.",
        ["staff"],
        ["librarians"],
        "external_allowed",
    ),
    ("board", "Board papers", "Minutes and budgets; board members only.", ["board"], ["board"], "local_only"),
]

TAGS = [
    ("Policy", "#0b5cad"),
    ("How-to", "#137333"),
    ("Report", "#a15c00"),
    ("Finance", "#b3261e"),
    ("Aviation", "#5b3fa8"),
    ("Archive", "#6b7280"),
]

REMOTE_WORK = [
    "This policy explains how staff may work away from the office, what equipment the organisation provides, "
    "and how we keep documents safe when they leave the building.",
    "Eligibility. Any member of staff who has completed their probation period may request up to three remote "
    "days a week. Requests are agreed with the line manager and reviewed every six months. Roles that need "
    "physical access to the collections, such as conservation and reading-room duty, are excluded on the days "
    "those duties are scheduled.",
    "Equipment. The organisation provides a laptop with full-disk encryption, a headset and, on request, a "
    "monitor. Personal devices must not be used to open restricted documents. Printing restricted material at "
    "home is not allowed.",
    "Security. Connect through the virtual private network before opening the catalog. Lock the screen whenever "
    "you leave the device. Report a lost or stolen laptop to the service desk within one hour; the device can be "
    "wiped remotely.",
    "Working hours. Core hours are 10:00 to 15:00. Outside core hours staff organise their time freely, provided "
    "they can be reached by the team chat during their agreed working pattern.",
    "Expenses. A one-off home office allowance of 250 euros may be claimed against receipts. Internet costs are "
    "not reimbursed. Travel to the office on remote days is not an expense.",
]

DIGITISATION_GUIDE = [
    "This guide describes how to digitise a printed item so that it can be added to the catalog with good text "
    "and previews.",
    "Preparing the item. Remove staples and paper clips, flatten folded pages and check for loose leaves. Fragile "
    "items go to conservation first; never force a tight binding open on the scanner.",
    "Scanning. Scan at 300 dots per inch in colour for illustrated material and in greyscale for plain text. Save "
    "as PDF with one page per image. The overhead scanner in room 2.14 is booked through the facilities calendar.",
    "Text recognition. The catalog extracts the text layer of born-digital PDFs automatically. Scanned pages "
    "without a text layer should be run through optical character recognition before upload so that they can be "
    "searched.",
    "Uploading. Choose the collection the item belongs to, add the tags that describe it and upload the PDF. "
    "Processing usually finishes within a minute; the document page shows its progress. If processing fails, the "
    "reason is shown on the document and in the admin.",
    "Quality check. Open the document, page through the previews and search for a phrase from the middle of the "
    "text. If the phrase is not found, the text layer is missing or poor; rescan or re-run recognition.",
]

WING_REPORT = [
    "Summary. We measured the lift and drag of a swept wing model in the low-speed wind tunnel at Reynolds numbers "
    "between 0.5 and 2 million, with and without leading-edge slats. Slats delayed stall by four degrees of angle "
    "of attack and raised the maximum lift coefficient by 28 per cent, at the cost of 6 per cent more drag at "
    "cruise incidence.",
    "Method. The model had a sweep of 30 degrees, an aspect ratio of 7 and a NACA 64A010 section. Forces were "
    "measured on a six-component balance; surface pressures at 48 taps along three spanwise stations. Flow "
    "visualisation used oil film and wool tufts.",
    "Results. Without slats, flow separation began at the wing tip at 11 degrees and spread inboard, producing an "
    "abrupt pitch-up. With slats deployed, separation started at 15 degrees near the root and the pitching moment "
    "remained stable through the stall. Boundary layer transition moved forward with increasing Reynolds number, "
    "as expected for a laminar-flow section.",
    "Heat transfer. A secondary experiment with a heated leading edge showed that the local heat transfer "
    "coefficient followed the laminar stagnation-point solution up to the transition line within 8 per cent.",
    "Conclusions. Leading-edge slats are an effective way to tame tip stall on moderately swept wings. The cruise "
    "drag penalty suggests retractable slats for any configuration that spends most of its time at cruise.",
    "Further work. Repeat the measurements at higher Mach number in the transonic tunnel, and compare with "
    "computations using a transition model.",
]

MINUTES = [
    "Minutes of the board meeting held on 12 March. Present: the chair, the treasurer, four trustees and the "
    "director. Apologies from one trustee.",
    "1. The minutes of the previous meeting were approved without changes.",
    "2. Budget. The treasurer presented the draft budget for next year: income of 4.2 million euros, of which 61 "
    "per cent from the founding grant, and expenditure of 4.1 million. The board approved the budget subject to "
    "a revised estimate of energy costs.",
    "3. Building works. The roof repairs over the east reading room will start in June and close that room for "
    "ten weeks. Staff and readers will be moved to the west room.",
    "4. Digital catalog. The director reported that all new acquisitions are now catalogued digitally, with "
    "search across the full text, and that the back catalogue will be digitised over three years.",
    "5. Any other business. None. The next meeting will be held on 11 June.",
]


def _docx(title: str, paragraphs: list[str]) -> bytes:
    from docx import Document as WordDocument

    document = WordDocument()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _budget_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    rows = [
        ("Line", "This year (EUR)", "Next year (EUR)"),
        ("Founding grant", 2_500_000, 2_560_000),
        ("Membership", 900_000, 940_000),
        ("Events and venue hire", 620_000, 700_000),
        ("Salaries", 2_700_000, 2_810_000),
        ("Energy", 310_000, 350_000),
        ("Digitisation programme", 400_000, 520_000),
        ("Building maintenance", 380_000, 420_000),
    ]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _loans_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["month", "loans", "returns", "new members"])
    for month, loans, returns, members in [
        ("January", 4120, 3980, 112),
        ("February", 3875, 3902, 96),
        ("March", 4410, 4230, 131),
        ("April", 4025, 4110, 104),
    ]:
        writer.writerow([month, loans, returns, members])
    return buffer.getvalue().encode()


def _opening_hours_html() -> bytes:
    return b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Opening hours</title>
<style>body { font-family: serif }</style></head>
<body><h1>Opening hours</h1>
<p>The reading rooms are open Monday to Friday from 09:00 to 19:00 and on Saturday from 10:00 to 16:00.</p>
<p>During the roof repairs the east reading room is closed; readers are welcome in the west room.</p>
<script>document.title = "this script is never run by the catalog";</script>
</body></html>
"""


def _markdown_checklist() -> bytes:
    return "\n".join(
        [
            "# New starter checklist",
            "",
            "Welcome! Work through this list in your first week.",
            "",
            "- Collect your badge and laptop from the service desk.",
            "- Read the remote work policy and the digitisation guide in the staff handbook.",
            "- Ask a librarian to add you to the right groups so that you can see your team's collections.",
            "- Try the catalog search: type a question in plain words, for example *how many remote days may I work*.",
        ]
    ).encode()


def _loans_chart_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 360), "white")
    draw = ImageDraw.Draw(image)
    values = [4120, 3875, 4410, 4025]
    for index, value in enumerate(values):
        left = 80 + index * 130
        top = 320 - int(value / 4500 * 260)
        draw.rectangle((left, top, left + 80, 320), fill=(11, 92, 173))
    draw.line((60, 320, 600, 320), fill="black", width=2)
    draw.text((80, 20), "Loans per month, January to April", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class DemoDocument:
    key: str
    filename: str
    title: str
    collection: str
    tags: list[str]
    render: Callable[[], bytes]
    description: str = ""
    language: str = "en"
    metadata: dict = field(default_factory=dict)


DOCUMENTS = [
    DemoDocument(
        "remote-work",
        "remote-work-policy.pdf",
        "Remote work policy",
        "handbook",
        ["Policy"],
        lambda: render_pdf("Remote work policy", REMOTE_WORK),
    ),
    DemoDocument(
        "digitisation",
        "digitisation-guide.docx",
        "Digitisation guide",
        "handbook",
        ["How-to"],
        lambda: _docx("Digitisation guide", DIGITISATION_GUIDE),
    ),
    DemoDocument(
        "checklist",
        "new-starter-checklist.md",
        "New starter checklist",
        "handbook",
        ["How-to"],
        _markdown_checklist,
    ),
    DemoDocument("opening-hours", "opening-hours.html", "Opening hours", "handbook", ["Policy"], _opening_hours_html),
    DemoDocument(
        "wing-report",
        "swept-wing-slats-report.pdf",
        "Leading-edge slats on a swept wing: wind tunnel report",
        "research",
        ["Report", "Aviation"],
        lambda: render_pdf("Leading-edge slats on a swept wing", WING_REPORT * 3),
    ),
    DemoDocument("loans", "loans-by-month.csv", "Loans by month", "research", ["Report"], _loans_csv),
    DemoDocument("loans-chart", "loans-chart.png", "Loans chart", "research", ["Report"], _loans_chart_png),
    DemoDocument(
        "minutes",
        "board-minutes-march.pdf",
        "Board minutes, March",
        "board",
        ["Finance", "Archive"],
        lambda: render_pdf("Board minutes, March", MINUTES),
    ),
    DemoDocument("budget", "budget.xlsx", "Budget, next year", "board", ["Finance"], _budget_xlsx),
]

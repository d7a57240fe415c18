"""People and collections for the documents tests.

``librarian`` edits the ``library`` collection, ``reader`` may only view it,
``outsider`` has no rights to it; ``restricted`` is a collection only the
``board`` group may see.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from documents import services
from documents.demo.pdfwriter import render_pdf
from documents.models import Collection, Document
from tests.factories import CollectionFactory, GroupFactory, UserFactory

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdf"


@dataclass
class Library:
    librarians: Group
    readers: Group
    board: Group
    library: Collection
    restricted: Collection


@pytest.fixture
def lib(db: None) -> Library:
    librarians, readers, board = (
        GroupFactory(name="librarians"),
        GroupFactory(name="readers"),
        GroupFactory(name="board"),
    )
    return Library(
        librarians=librarians,
        readers=readers,
        board=board,
        library=CollectionFactory(name="Library", viewers=[readers], editors=[librarians]),
        restricted=CollectionFactory(name="Restricted", viewers=[board], editors=[board]),
    )


@pytest.fixture
def librarian(lib: Library) -> User:
    return UserFactory(username="librarian", is_staff=True, groups=[lib.librarians])


@pytest.fixture
def reader(lib: Library) -> User:
    return UserFactory(username="reader", groups=[lib.readers])


@pytest.fixture
def outsider(lib: Library) -> User:
    return UserFactory(username="outsider", is_staff=True)


@pytest.fixture
def board_member(lib: Library) -> User:
    return UserFactory(username="boardmember", is_staff=True, groups=[lib.board])


def pdf_bytes(title: str = "A test document", text: str = "The quick brown fox jumps over the lazy dog.") -> bytes:
    return render_pdf(title, [text])


def upload(user: User, collection: Collection, data: bytes, filename: str = "test.pdf", **kwargs: Any) -> Document:
    return services.document_create(
        user=user, collection=collection, stream=io.BytesIO(data), filename=filename, **kwargs
    )

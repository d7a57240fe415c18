"""Cursor pagination: stable under inserts, no COUNT over the whole catalog,
and no OFFSET however deep the page."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import timedelta

from django.http import HttpResponse
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from api.selectors import EPOCH, DocumentListPage, Position


class CreatedCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")


class KeysetCursor:
    """Pages of the document list by (created_at, id). The cursor names a
    document and a direction, "n" for the page after it and "p" for the
    page before it; clients treat it as opaque. Same query parameters as
    ``CreatedCursorPagination`` (``cursor``, ``page_size``), so the schema
    is the same."""

    _FORMAT = re.compile(r"^([np])(-?\d{1,17})\.(\d{1,19})$")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.size = self._size(request.query_params.get(CreatedCursorPagination.page_size_query_param))
        self.after: Position | None = None
        self.before: Position | None = None
        raw = request.query_params.get(CreatedCursorPagination.cursor_query_param)
        if raw is not None:
            direction, position = self.decode(raw)
            if direction == "n":
                self.after = position
            else:
                self.before = position

    @staticmethod
    def _size(raw: str | None) -> int:
        """As DRF reads it: a positive integer up to the maximum, else the default."""
        try:
            size = int(raw) if raw is not None else 0
        except ValueError:
            size = 0
        if size <= 0:
            return CreatedCursorPagination.page_size
        return min(size, CreatedCursorPagination.max_page_size)

    @classmethod
    def encode(cls, direction: str, position: Position) -> str:
        moment, pk = position
        micros = (moment - EPOCH) // timedelta(microseconds=1)
        return base64.urlsafe_b64encode(f"{direction}{micros}.{pk}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> tuple[str, Position]:
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
            match = cls._FORMAT.match(text)
            if match is None:
                raise ValueError(text)
            direction, micros, pk = match.group(1), int(match.group(2)), int(match.group(3))
            moment = EPOCH + timedelta(microseconds=micros)
            if pk > 2**63 - 1:
                raise ValueError(pk)
        except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
            raise ValidationError({"cursor": ["invalid cursor; use the next or previous link of a page"]}) from None
        return direction, (moment, pk)

    def _link(self, direction: str, position: Position | None) -> str | None:
        if position is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, CreatedCursorPagination.cursor_query_param, self.encode(direction, position))

    def response(self, page: DocumentListPage) -> HttpResponse:
        """``{"next", "previous", "results"}`` with the documents' JSON as it came."""
        if self.before is not None:
            older = self._link("n", page.last or self.before)
            newer = self._link("p", page.first) if page.more else None
        else:
            older = self._link("n", page.last) if page.more else None
            newer = self._link("p", page.first or self.after) if self.after is not None else None
        body = '{"next":%s,"previous":%s,"results":[%s]}' % (  # noqa: UP031 - JSON braces
            json.dumps(older),
            json.dumps(newer),
            ",".join(page.documents),
        )
        return HttpResponse(body, content_type="application/json")

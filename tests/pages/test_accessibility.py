"""Every form control has a label, every image has alt text, and every
page has one main heading — checked on the rendered HTML of each page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[dict] = []
        self.images: list[dict] = []
        self.h1 = 0
        self.open_labels = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.labels.add(attributes["for"])
        elif tag in ("input", "select", "textarea"):
            if attributes.get("type") not in ("hidden", "submit"):
                self.controls.append({**attributes, "_wrapped": self.open_labels > 0})
        elif tag == "img":
            self.images.append(attributes)
        elif tag == "h1":
            self.h1 += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[dict]:
        return [
            c
            for c in self.controls
            if not (c["_wrapped"] or c.get("id") in self.labels or c.get("aria-label") or c.get("aria-labelledby"))
        ]


def test_pages_label_every_control_and_describe_every_image(client: Client, librarian, catalog) -> None:
    wing = catalog["wing"]
    client.force_login(librarian)
    urls = [
        "/",
        reverse("browse"),
        reverse("search") + "?q=wing",
        reverse("search") + "?q=zzzzqqq",
        reverse("documents:detail", args=[wing.uuid]),
        reverse("documents:edit", args=[wing.uuid]),
        reverse("upload"),
        reverse("ask") + "?q=what+delays+the+stall",
    ]
    for url in urls:
        audit = Audit()
        audit.feed(client.get(url).content.decode())
        assert audit.unlabelled() == [], url
        assert all(image.get("alt") for image in audit.images), url
        assert audit.h1 == 1, url
    client.logout()
    for url in [reverse("login"), reverse("password_reset")]:
        audit = Audit()
        audit.feed(client.get(url).content.decode())
        assert audit.unlabelled() == [], url

"""Load the demo catalog: groups, collections, tags and a few real files.

Idempotent: documents already loaded (by their demo key) are skipped, so
``make run`` calls it on every start.
"""

import io
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from documents import services
from documents.demo.content import COLLECTIONS, DOCUMENTS, GROUPS, TAGS
from documents.models import Collection, Document, Tag


class Command(BaseCommand):
    help = "Load a small demo catalog of real files (skips what is already there)."

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if owner is None:
            raise CommandError("Create an admin account first (manage.py ensure_admin).")
        groups = {key: Group.objects.get_or_create(name=name)[0] for key, name in GROUPS.items()}
        collections = {}
        for slug, name, description, viewers, editors, ai_policy in COLLECTIONS:
            collection, created = Collection.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description, "ai_policy": ai_policy}
            )
            if created:
                collection.viewer_groups.set(groups[key] for key in viewers)
                collection.editor_groups.set(groups[key] for key in editors)
            collections[slug] = collection
        tags = {
            name: Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name, "colour": colour})[0]
            for name, colour in TAGS
        }
        loaded = 0
        for entry in DOCUMENTS:
            if Document.objects.filter(metadata__demo_key=entry.key).exists():
                continue
            services.document_create(
                user=owner,
                collection=collections[entry.collection],
                stream=io.BytesIO(entry.render()),
                filename=entry.filename,
                title=entry.title,
                description=entry.description,
                tags=[tags[name] for name in entry.tags],
                language=entry.language,
                metadata={**entry.metadata, "demo_key": entry.key},
            )
            loaded += 1
        self.stdout.write(f"Demo catalog: {loaded} document(s) loaded, {len(DOCUMENTS) - loaded} already present.")

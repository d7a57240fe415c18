"""Restore a catalog archive into an empty database."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog_site.services.backup import ImportRefused, catalog_import


class Command(BaseCommand):
    help = "Restore a catalog_export archive (a path or s3://bucket/key) into an empty catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="The archive: a file path or s3://bucket/key.")
        parser.add_argument(
            "--no-reindex", action="store_true", help="Do not rebuild search indexes through the pipeline afterwards."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = catalog_import(source=options["source"], reindex=not options["no_reindex"])
        except (ImportRefused, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
        self.stdout.write(f"imported: {summary}")

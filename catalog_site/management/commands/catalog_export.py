"""Export the whole catalog (metadata and files) as one portable archive."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from catalog_site.services.backup import catalog_export


class Command(BaseCommand):
    help = "Write the catalog to a zip archive in a directory, at a .zip path, or under s3://bucket/prefix/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", dest="target", default=None, help="Directory, .zip path or s3://bucket/prefix (BACKUP_TARGET)."
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="Keep only the newest N archives there (BACKUP_KEEP with --scheduled).",
        )
        parser.add_argument(
            "--scheduled", action="store_true", help="Use BACKUP_TARGET and BACKUP_KEEP (the cron job's form)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target"] or settings.BACKUP_TARGET
        keep = (
            options["keep"] if options["keep"] is not None else (settings.BACKUP_KEEP if options["scheduled"] else None)
        )
        result = catalog_export(target=target, keep=keep)
        self.stdout.write(f"exported {result.documents} documents and {result.files} files to {result.location}")
        for problem in result.problems:
            self.stderr.write(f"warning: {problem}")

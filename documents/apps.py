from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        # Registers the extract and previews pipeline steps.
        from documents import steps  # noqa: F401

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        # Registers the chunk, index and embed pipeline steps and the
        # listener that re-indexes a document when its metadata changes.
        from search import steps  # noqa: F401

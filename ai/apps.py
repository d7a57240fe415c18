from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI"

    def ready(self) -> None:
        # Registers the summary and suggestion pipeline steps.
        from ai import steps  # noqa: F401

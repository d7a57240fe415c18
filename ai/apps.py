from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI"

    def ready(self) -> None:
        # Registers the summary and suggestion pipeline steps.
        from ai import (
            checks,  # noqa: F401 - registers the system checks
            steps,  # noqa: F401
        )

"""Errors of the AI capabilities; ``reason`` is safe to show to users."""

from django.core.exceptions import ValidationError


class AIError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AIDisabled(AIError):
    """The document's collection does not allow AI processing."""

    def __init__(self, reason: str = "AI processing is disabled for this collection") -> None:
        super().__init__(reason)


class InvalidOutput(ValueError):
    """A model's output does not match the capability's schema."""


class NothingToProcess(AIError):
    """The document has no text (yet)."""


class SuggestionAlreadyDecided(AIError, ValidationError):
    """A librarian (or the collection's auto-apply) decided it already.
    A ``ValidationError`` too, so forms and the API report it as bad input."""

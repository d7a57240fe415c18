"""The AI pipeline steps: a summary and suggestions for each new version.

They run on the slow queue after the passages are embedded. A collection
with AI disabled skips both (the document still becomes ready). When every
provider of the chain fails, the step is retried with backoff like any
temporary error, and failed for good after the retries.
"""

from __future__ import annotations

from ai.errors import AIDisabled
from ai.services import suggestions, summaries
from ai.services.gateway import NoProviderAvailable
from documents.errors import TransientError
from documents.models import DocumentVersion
from documents.pipeline import SLOW_QUEUE, StepContext, register_step

DISABLED = "AI processing is disabled for this collection"


@register_step("summarise", position=50, queue=SLOW_QUEUE)
def summarise_step(version: DocumentVersion, context: StepContext) -> None:
    try:
        summary = summaries.version_summarise(version=version)
    except AIDisabled:
        context.skip(DISABLED)
    except NoProviderAvailable as exc:
        raise TransientError(f"no AI provider could summarise: {exc}") from exc
    if summary is None:
        context.skip("no text to summarise")


@register_step("suggest", position=60, queue=SLOW_QUEUE)
def suggest_step(version: DocumentVersion, context: StepContext) -> None:
    try:
        created = suggestions.version_suggest(version=version)
    except AIDisabled:
        context.skip(DISABLED)
    except NoProviderAvailable as exc:
        raise TransientError(f"no AI provider could suggest tags: {exc}") from exc
    if created is None:
        context.skip("nothing to suggest from")

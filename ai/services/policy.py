"""The collection AI policy, enforced in one place: the gateway asks here
before any provider sees a document's text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from documents.models import AIPolicy

_STRICTNESS = [AIPolicy.EXTERNAL_ALLOWED, AIPolicy.LOCAL_ONLY, AIPolicy.DISABLED]


class AIDisabled(Exception):
    """AI processing is disabled for the document's collection. Capabilities
    turn this into "skipped"; nothing was sent anywhere."""


def policy_for(documents: Iterable[Any]) -> AIPolicy:
    """The strictest policy among the documents' collections (``external_allowed``
    when no document is involved)."""
    strictest = AIPolicy.EXTERNAL_ALLOWED
    for document in documents:
        if document is None:
            continue
        policy = AIPolicy(document.collection.ai_policy)
        if _STRICTNESS.index(policy) > _STRICTNESS.index(strictest):
            strictest = policy
    return strictest


def ensure_allowed(documents: Iterable[Any]) -> AIPolicy:
    """The policy that applies; raises ``AIDisabled`` when it is ``disabled``."""
    policy = policy_for(documents)
    if policy == AIPolicy.DISABLED:
        raise AIDisabled("AI processing is disabled for this collection")
    return policy

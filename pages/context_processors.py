from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from documents.selectors import collections_editable_by


def navigation(request: HttpRequest) -> dict:
    """``can_upload`` for the menu, computed (one query) only when a
    template asks for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_upload": False}
    return {"can_upload": SimpleLazyObject(lambda: collections_editable_by(user).exists())}

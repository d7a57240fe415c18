"""A signed-in user's own page for API keys: create (the secret is shown
once), rotate, revoke."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import ApiKeyForm
from api.models import ApiKey
from api.services import IssuedKey, api_key_create, api_key_revoke, api_key_rotate


def _page(request: HttpRequest, form: ApiKeyForm, issued: IssuedKey | None = None, status: int = 200) -> HttpResponse:
    keys = ApiKey.objects.filter(user=request.user).select_related("rotated_from")
    return render(request, "api_keys/keys.html", {"form": form, "keys": keys, "issued": issued}, status=status)


def _own_key(request: HttpRequest, pk: int) -> ApiKey:
    key = ApiKey.objects.filter(user=request.user, pk=pk).first()
    if key is None:
        raise Http404("No such API key")
    return key


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        issued = api_key_create(user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        return _page(request, form, status=400)
    return _page(request, ApiKeyForm(), issued=issued, status=201)


@never_cache
@login_required
@require_POST
def api_key_rotate_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        issued = api_key_rotate(user=request.user, key=_own_key(request, pk))
    except ValidationError as exc:
        form = ApiKeyForm()
        form.add_error(None, exc.messages)
        return _page(request, form, status=400)
    return _page(request, ApiKeyForm(), issued=issued, status=201)


@login_required
@require_POST
def api_key_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    api_key_revoke(user=request.user, key=_own_key(request, pk))
    return _page(request, ApiKeyForm())

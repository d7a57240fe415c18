"""Forms of the staff pages. The search form turns the query string — the
whole state of a search or browse page — into ``search()`` arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from documents.forms import MultipleFileField
from documents.models import ProcessingStatus, Tag
from search.services.filters import SearchFilters
from search.services.query import MODES

SORT_CHOICES = [("relevance", "Best match"), ("date", "Document date"), ("title", "Title")]
BROWSE_SORT_CHOICES = [("relevance", "Newest first"), ("date", "Document date"), ("title", "Title")]
PAGE_SIZE = 20


class AnyValuesField(forms.TypedMultipleChoiceField):
    """Several values (ids, MIME types) with no list to check them against:
    ``search()`` applies the permissions, so a collection or tag the user may
    not see simply matches nothing."""

    def valid_value(self, value: Any) -> bool:
        return True


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, label="Search")
    mode = forms.ChoiceField(
        required=False,
        choices=[("hybrid", "Best of both"), ("keyword", "Exact words"), ("semantic", "Meaning")],
        label="Match",
    )
    collection = AnyValuesField(required=False, coerce=int, label="Collection")
    tag = AnyValuesField(required=False, coerce=int, label="Tags")
    tags_mode = forms.ChoiceField(
        required=False, choices=[("all", "all of them"), ("any", "any of them")], label="Documents with"
    )
    type = AnyValuesField(required=False, label="File type")
    lang = forms.CharField(required=False, max_length=16, label="Language")
    date_from = forms.DateField(required=False, label="Dated from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Dated to", widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.MultipleChoiceField(required=False, choices=ProcessingStatus.choices, label="Processing")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort by")
    view = forms.ChoiceField(required=False, choices=[("grid", "Grid"), ("list", "List")], label="Show as")
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


@dataclass
class SearchState:
    """The validated state of a search page, with safe defaults for any
    value that did not validate (the form keeps the error to show)."""

    query: str
    mode: str
    filters: SearchFilters
    sort: str
    view: str
    page: int


def search_state(form: SearchForm) -> SearchState:
    form.is_valid()  # fills cleaned_data with the valid fields only
    data = form.cleaned_data
    mode = data.get("mode") or "hybrid"
    return SearchState(
        query=data.get("q") or "",
        mode=mode if mode in MODES else "hybrid",
        filters=SearchFilters(
            collections=list(data.get("collection") or []),
            tags=list(data.get("tag") or []),
            tags_mode=data.get("tags_mode") or "all",
            types=list(data.get("type") or []),
            languages=[data["lang"]] if data.get("lang") else [],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            statuses=list(data.get("status") or []),
        ),
        sort=data.get("sort") or "relevance",
        view=data.get("view") or "grid",
        page=data.get("page") or 1,
    )


class DocumentEditForm(forms.Form):
    title = forms.CharField(max_length=500)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    language = forms.CharField(required=False, max_length=16, help_text="ISO 639-1 code, e.g. “en”.")
    document_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tags = forms.ModelMultipleChoiceField(queryset=Tag.objects.all(), required=False)


class NewVersionForm(forms.Form):
    file = forms.FileField(label="New version", help_text="Becomes the current version; older ones stay downloadable.")


class PageUploadForm(forms.Form):
    """Upload page: the collection is checked by the service, so ids the
    user may not edit are refused there (403) rather than hidden here."""

    collection = forms.IntegerField()
    tags = forms.ModelMultipleChoiceField(queryset=Tag.objects.all(), required=False)
    files = MultipleFileField(label="Files")

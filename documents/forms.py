"""Forms shared by the admin and the staff pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.helpers import ActionForm

from documents import selectors
from documents.models import Collection, Tag


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class UploadForm(forms.Form):
    collection = forms.ModelChoiceField(queryset=Collection.objects.none())
    tags = forms.ModelMultipleChoiceField(queryset=Tag.objects.all(), required=False)
    files = MultipleFileField(help_text="Choose one or more files.")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only collections the user may add to are offered (and accepted).
        self.fields["collection"].queryset = selectors.collections_editable_by(user)


class DocumentActionForm(ActionForm):
    """Extra inputs for the bulk actions that need a target."""

    collection = forms.ModelChoiceField(
        queryset=Collection.objects.all(), required=False, label="Collection (for “move”)"
    )
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False, label="Tag (for add/remove)")


class NewVersionForm(forms.Form):
    file = forms.FileField(help_text="The new file becomes the current version; older versions stay downloadable.")

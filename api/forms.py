from django import forms

from api.models import Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “nightly export”.")
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.READ])
    expires_at = forms.DateTimeField(
        required=False,
        help_text="Optional, e.g. 2027-01-31 00:00 (UTC).",
        widget=forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"}),
    )

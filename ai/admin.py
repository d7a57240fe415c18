"""The librarians' side of AI: the suggestion review queue, summaries with
their provenance on the document page, and regenerating a summary.

The document admin is extended here (rather than in ``documents``) so the
documents app keeps knowing nothing about AI.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from ai import selectors
from ai.errors import AIError
from ai.models import Suggestion, SuggestionStatus, Summary
from ai.services.suggestions import ReviewOutcome, suggestion_accept, suggestion_reject, suggestions_decide
from ai.services.summaries import summary_regenerate
from documents import selectors as document_selectors
from documents.admin import DocumentAdmin
from documents.models import Document


def provenance(obj: Suggestion | Summary) -> str:
    model = f" · {obj.model}" if obj.model else ""
    return f"{obj.provider}{model} · prompt v{obj.prompt_version}"


class PendingFirstStatusFilter(admin.SimpleListFilter):
    """The queue opens on what is waiting for review."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*SuggestionStatus.choices, ("all", "All")]

    def value(self) -> str:
        return super().value() or SuggestionStatus.PENDING

    def choices(self, changelist: Any):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
        value = self.value()
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = [
        "document_link",
        "kind",
        "target",
        "confidence_percent",
        "provenance",
        "created_at",
        "status",
        "decide",
    ]
    list_filter = [PendingFirstStatusFilter, "kind", "provider"]
    list_select_related = ["document", "tag", "collection"]
    search_fields = ["document__title", "tag__name", "collection__name"]
    ordering = ["-confidence", "-created_at"]
    actions = ["accept_selected", "reject_selected"]
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Suggestion]:
        # Only suggestions for documents this librarian may edit.
        editable = document_selectors.documents_editable_by(request.user).values("pk")
        return super().get_queryset(request).filter(document__in=editable)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decided through accept / reject only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Document", ordering="document__title")
    def document_link(self, suggestion: Suggestion) -> str:
        url = reverse("admin:documents_document_change", args=[suggestion.document_id])
        return format_html('<a href="{}">{}</a>', url, suggestion.document.title)

    @admin.display(description="Suggested")
    def target(self, suggestion: Suggestion) -> str:
        return str(suggestion.tag or suggestion.collection)

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_percent(self, suggestion: Suggestion) -> str:
        return f"{suggestion.confidence:.0%}"

    @admin.display(description="Provenance")
    def provenance(self, suggestion: Suggestion) -> str:
        return provenance(suggestion)

    @admin.display(description="Review")
    def decide(self, suggestion: Suggestion) -> str:
        if suggestion.status != SuggestionStatus.PENDING:
            return suggestion.decided_by.get_username() if suggestion.decided_by else "—"
        # Buttons of the list's own form (which carries the CSRF token) posting elsewhere.
        return format_html(
            '<button type="submit" class="button" formaction="{}">Accept</button> '
            '<button type="submit" class="button" formaction="{}">Reject</button>',
            reverse("admin:ai_suggestion_accept", args=[suggestion.pk]),
            reverse("admin:ai_suggestion_reject", args=[suggestion.pk]),
        )

    # --- deciding ---

    def _report(self, request: HttpRequest, outcome: ReviewOutcome, verb: str) -> None:
        if outcome.done:
            self.message_user(request, f"{outcome.done} suggestion(s) {verb}.", messages.SUCCESS)
        if outcome.refused:
            self.message_user(
                request, f"{outcome.refused} suggestion(s) not {verb}: you may not make that change.", messages.ERROR
            )
        if outcome.already_decided:
            self.message_user(request, f"{outcome.already_decided} suggestion(s) were already decided.", messages.INFO)

    @admin.action(description="Accept the selected suggestions")
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        self._report(request, suggestions_decide(queryset, request.user, accept=True), "accepted")

    @admin.action(description="Reject the selected suggestions")
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        self._report(request, suggestions_decide(queryset, request.user, accept=False), "rejected")

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", view(self.accept_view), name="ai_suggestion_accept"),
            path("<int:pk>/reject/", view(self.reject_view), name="ai_suggestion_reject"),
            *super().get_urls(),
        ]

    def _decide_view(self, request: HttpRequest, pk: int, accept: bool) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        suggestion = self.get_queryset(request).filter(pk=pk).first()
        if suggestion is None:
            raise Http404("No such suggestion")
        try:
            (suggestion_accept if accept else suggestion_reject)(suggestion, request.user)
        except PermissionDenied:
            self.message_user(request, "You may not make that change.", messages.ERROR)
        except AIError as exc:
            self.message_user(request, exc.reason, messages.WARNING)
        else:
            verb = "Accepted" if accept else "Rejected"
            self.message_user(
                request,
                f"{verb}: {suggestion.get_kind_display().lower()} “{self.target(suggestion)}” "
                f"for “{suggestion.document.title}”.",
                messages.SUCCESS,
            )
        return _redirect_back(request, reverse("admin:ai_suggestion_changelist"))

    def accept_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide_view(request, pk, accept=True)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide_view(request, pk, accept=False)


def _redirect_back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    referer = request.headers.get("referer", "")
    safe = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=False)
    return HttpResponseRedirect(referer if referer and safe else default)


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = [
        "document_title",
        "version_number",
        "provider",
        "model",
        "prompt_version",
        "truncated",
        "created_at",
    ]
    list_filter = ["provider", "truncated", "created_at"]
    list_select_related = ["version__document"]
    search_fields = ["version__document__title", "text"]
    readonly_fields = ["version", "text", "provider", "model", "prompt_version", "content_hash", "truncated"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Summary]:
        visible = document_selectors.documents_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(version__document__in=visible)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Document", ordering="version__document__title")
    def document_title(self, summary: Summary) -> str:
        return summary.version.document.title

    @admin.display(description="Version", ordering="version__number")
    def version_number(self, summary: Summary) -> int:
        return summary.version.number


class DocumentWithAIAdmin(DocumentAdmin):
    """The document admin plus its summary (with provenance), its pending
    suggestions and regenerating the summary."""

    change_form_template = "admin/ai/document/change_form.html"
    actions = [*DocumentAdmin.actions, "regenerate_summary"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        document = self.get_object(request, object_id)
        if document is not None:
            summary = selectors.summary_for(document)
            extra_context["ai_summary"] = summary
            extra_context["ai_summary_provenance"] = provenance(summary) if summary else ""
            extra_context["ai_suggestions"] = selectors.pending_suggestions(document)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list:
        custom = [
            path(
                "<int:object_id>/regenerate-summary/",
                self.admin_site.admin_view(self.regenerate_summary_view),
                name="documents_document_regenerate_summary",
            )
        ]
        return custom + super().get_urls()

    def _regenerate(self, request: HttpRequest, documents: list[Document]) -> int:
        queued = 0
        for document in documents:
            try:
                summary_regenerate(document, request.user)
            except PermissionDenied:
                self.message_user(request, f"You may not edit “{document.title}”.", messages.ERROR)
            except AIError as exc:
                self.message_user(request, f"“{document.title}”: {exc.reason}", messages.WARNING)
            else:
                queued += document.current_version_id is not None
        if queued:
            self.message_user(request, f"{queued} summary(ies) will be regenerated shortly.", messages.SUCCESS)
        return queued

    @admin.action(description="Regenerate the summary")
    def regenerate_summary(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        self._regenerate(request, list(queryset.select_related("collection")))

    def regenerate_summary_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        document = self.get_object(request, str(object_id))
        if document is None:
            raise Http404("No such document")
        self._regenerate(request, [document])
        return HttpResponseRedirect(reverse("admin:documents_document_change", args=[document.pk]))


admin.site.unregister(Document)
admin.site.register(Document, DocumentWithAIAdmin)


# The AI ledger (read-only runs with totals per day and provider).
from ai import ledger_admin  # noqa: E402, F401

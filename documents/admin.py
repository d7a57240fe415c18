"""The librarians' admin. Lists and edits go through the same selectors and
services as every other surface."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from documents import selectors, services
from documents.errors import UploadRejected
from documents.forms import DocumentActionForm, NewVersionForm, UploadForm
from documents.models import (
    AuditEvent,
    Collection,
    Document,
    DocumentVersion,
    PreviewKind,
    ProcessingStatus,
    ProcessingStep,
    Tag,
    VersionPreview,
)
from documents.processing.previews import short_name

STATUS_COLOURS = {
    ProcessingStatus.QUEUED: "#6b7280",
    ProcessingStatus.PROCESSING: "#0b5cad",
    ProcessingStatus.READY: "#137333",
    ProcessingStatus.FAILED: "#b3261e",
    ProcessingStatus.NEEDS_PASSWORD: "#a15c00",
}


def status_badge(status: str, label: str) -> str:
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 6px;border-radius:8px;white-space:nowrap">{}</span>',
        STATUS_COLOURS.get(status, "#6b7280"),
        label,
    )


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "ai_policy", "trash_retention_days"]
    list_filter = ["ai_policy"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["viewer_groups", "editor_groups"]
    autocomplete_fields = ["parent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Collection]:
        return selectors.collections_visible_to(request.user).select_related("parent")

    def save_model(self, request: HttpRequest, obj: Collection, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            services.documents_of_collection_or_tag_changed(collection=obj)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "swatch", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge_tags"]

    def save_model(self, request: HttpRequest, obj: Tag, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            services.documents_of_collection_or_tag_changed(tag=obj)

    @admin.display(description="Colour")
    def swatch(self, tag: Tag) -> str:
        return format_html(
            '<span style="background:{};padding:0 12px" aria-hidden="true"></span> {}', tag.colour, tag.colour
        )

    @admin.action(description="Merge selected tags into one")
    def merge_tags(self, request: HttpRequest, queryset: QuerySet[Tag]) -> HttpResponse | None:
        tags = list(queryset.order_by("name"))
        if len(tags) < 2:
            self.message_user(request, "Select at least two tags to merge.", messages.WARNING)
            return None
        target_id = request.POST.get("target")
        if target_id:
            target = next((tag for tag in tags if str(tag.pk) == target_id), None)
            if target is None:
                self.message_user(request, "Choose the tag to keep among the selected ones.", messages.ERROR)
                return None
            merged = services.tags_merge(user=request.user, sources=tags, target=target)
            self.message_user(request, f"Merged {merged} tag(s) into “{target.name}”.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "tags": tags,
            "title": "Merge tags",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/documents/tag/merge.html", context)


class VersionInline(admin.TabularInline):
    model = DocumentVersion
    extra = 0
    can_delete = False
    fields = ["number", "download", "mime_type", "size", "page_count", "status_badge", "error", "created_at"]
    readonly_fields = fields
    ordering = ["-number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="File")
    def download(self, version: DocumentVersion) -> str:
        url = reverse("documents:version-download", args=[version.document.uuid, version.number])
        return format_html('<a href="{}">{}</a>', url, version.original_filename)

    @admin.display(description="Status")
    def status_badge(self, version: DocumentVersion) -> str:
        return status_badge(version.status, version.get_status_display())


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "title",
        "status_badge",
        "collection",
        "tag_list",
        "file_type",
        "created_at",
        "trashed",
    ]
    list_display_links = ["thumbnail", "title"]
    list_filter = [
        "status",
        # Only collections of documents the user may see: the names of the
        # others are not theirs to learn.
        ("collection", admin.RelatedOnlyFieldListFilter),
        "tags",
        "current_version__mime_type",
        ("trashed_at", admin.EmptyFieldListFilter),
        "document_date",
        "created_at",
    ]
    search_fields = ["title", "description", "versions__original_filename"]
    search_help_text = "Search titles, descriptions and file names."
    date_hierarchy = "created_at"
    list_select_related = ["collection", "current_version"]
    list_per_page = 50
    readonly_fields = [
        "uuid",
        "status",
        "current_version",
        "duplicate_link",
        "created_by",
        "created_at",
        "updated_at",
        "trashed_at",
    ]
    fields = [
        "title",
        "description",
        "collection",
        "tags",
        "language",
        "document_date",
        "metadata",
        *readonly_fields,
    ]
    filter_horizontal = ["tags"]
    inlines = [VersionInline]
    change_form_template = "admin/documents/document/change_form.html"
    action_form = DocumentActionForm
    actions = ["move_to_collection", "add_tag", "remove_tag", "reprocess", "trash", "restore"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        visible = selectors.documents_visible_to(request.user, include_trashed=True)
        thumbnails = VersionPreview.objects.filter(kind=PreviewKind.THUMB_SMALL)
        return (
            visible.select_related("collection", "current_version", "duplicate_of")
            .prefetch_related("tags", Prefetch("current_version__previews", queryset=thumbnails, to_attr="thumbnails"))
            # Whether the user may see the original of a duplicate, without
            # revealing that it exists otherwise.
            .annotate(duplicate_visible=Exists(visible.filter(pk=OuterRef("duplicate_of_id"))))
        )

    def has_change_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return selectors.documents_editable_by(request.user, include_trashed=True).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        # Deleting goes through trash and the retention purge, never directly.
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "collection":
            kwargs["queryset"] = selectors.collections_editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Document, form: Any, change: bool) -> None:
        """Edits go through the services (permissions, audit), not ``obj.save()``."""
        if not change:
            raise PermissionDenied("Documents are added through the upload page.")
        original = Document.objects.get(pk=obj.pk)
        data = form.cleaned_data
        meta = services.RequestMeta.from_request(request)
        if "collection" in form.changed_data:
            services.documents_move(user=request.user, documents=[original], collection=data["collection"], meta=meta)
        services.document_update(
            user=request.user,
            document=original,
            title=data["title"],
            description=data["description"],
            language=data["language"],
            document_date=data["document_date"],
            metadata=data["metadata"],
            tags=data["tags"],
            meta=meta,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags were saved by document_update; the inlines are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        document = self.get_object(request, object_id)
        if document is not None and document.current_version_id:
            extra_context["steps"] = ProcessingStep.objects.filter(version_id=document.current_version_id)
        return super().change_view(request, object_id, form_url, extra_context)

    # --- list columns ---

    @admin.display(description="")
    def thumbnail(self, document: Document) -> str:
        version = document.current_version
        if version and getattr(version, "thumbnails", None):
            url = reverse("documents:preview", args=[document.uuid, PreviewKind.THUMB_SMALL])
            return format_html('<img src="{}" alt="" width="48" loading="lazy">', url)
        return "—"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, document: Document) -> str:
        return status_badge(document.status, document.get_status_display())

    @admin.display(description="Tags")
    def tag_list(self, document: Document) -> str:
        return format_html_join(", ", "{}", ((tag.name,) for tag in document.tags.all()))

    @admin.display(description="Type", ordering="current_version__mime_type")
    def file_type(self, document: Document) -> str:
        return short_name(document.current_version.mime_type) if document.current_version else "—"

    @admin.display(description="Trashed", boolean=True)
    def trashed(self, document: Document) -> bool:
        return document.trashed_at is not None

    @admin.display(description="Duplicate of")
    def duplicate_link(self, document: Document) -> str:
        original = document.duplicate_of
        if original is None:
            return "—"
        if not getattr(document, "duplicate_visible", False):
            return "an earlier document with identical bytes (not visible to you)"
        url = reverse("admin:documents_document_change", args=[original.pk])
        return format_html('<a href="{}">{}</a>', url, original.title)

    # --- bulk actions ---

    def _done(self, request: HttpRequest, count: int, verb: str) -> None:
        self.message_user(
            request, ngettext("%d document %s.", "%d documents %s.", count) % (count, verb), messages.SUCCESS
        )

    @admin.action(description="Move to the chosen collection")
    def move_to_collection(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        collection = Collection.objects.filter(pk=request.POST.get("collection") or None).first()
        if collection is None:
            self.message_user(request, "Choose a collection to move to.", messages.ERROR)
            return
        count = services.documents_move(
            user=request.user,
            documents=queryset,
            collection=collection,
            meta=services.RequestMeta.from_request(request),
        )
        self._done(request, count, f"moved to “{collection.name}”")

    def _chosen_tag(self, request: HttpRequest) -> Tag | None:
        tag = Tag.objects.filter(pk=request.POST.get("tag") or None).first()
        if tag is None:
            self.message_user(request, "Choose a tag.", messages.ERROR)
        return tag

    @admin.action(description="Add the chosen tag")
    def add_tag(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        if tag := self._chosen_tag(request):
            self._done(request, services.documents_tag(user=request.user, documents=queryset, add=[tag]), "tagged")

    @admin.action(description="Remove the chosen tag")
    def remove_tag(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        if tag := self._chosen_tag(request):
            self._done(request, services.documents_tag(user=request.user, documents=queryset, remove=[tag]), "untagged")

    @admin.action(description="Reprocess")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        meta = services.RequestMeta.from_request(request)
        self._done(
            request,
            services.documents_reprocess(user=request.user, documents=queryset, meta=meta),
            "queued for processing",
        )

    @admin.action(description="Move to trash")
    def trash(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        meta = services.RequestMeta.from_request(request)
        self._done(request, services.documents_trash(user=request.user, documents=queryset, meta=meta), "trashed")

    @admin.action(description="Restore from trash")
    def restore(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        meta = services.RequestMeta.from_request(request)
        self._done(request, services.documents_restore(user=request.user, documents=queryset, meta=meta), "restored")

    # --- upload ---

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        action_form = getattr(response, "context_data", {}).get("action_form")
        if action_form is not None:
            # Offer only the collections the user may move documents into;
            # the others' names are not theirs to learn.
            action_form.fields["collection"].queryset = selectors.collections_editable_by(request.user)
        return response

    def get_urls(self) -> list:
        custom = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="documents_document_upload"),
            path(
                "<int:object_id>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="documents_document_new_version",
            ),
        ]
        return custom + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:documents_document_upload"))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        outcomes: list[services.UploadOutcome] = []
        errors: list[str] = []
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES, user=request.user)
            if getattr(request, "upload_too_large", False):
                form = UploadForm(user=request.user)
                errors.append(services.too_large_message())
                status = 413
            elif form.is_valid():
                files = [(f.name, f) for f in form.cleaned_data["files"]]
                outcomes = services.documents_create_many(
                    user=request.user,
                    collection=form.cleaned_data["collection"],
                    files=files,
                    tags=form.cleaned_data["tags"],
                    meta=services.RequestMeta.from_request(request),
                )
                created = [o for o in outcomes if o.document]
                if created and len(created) == len(outcomes):
                    self.message_user(
                        request, f"{len(created)} file(s) uploaded; processing has started.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:documents_document_changelist"))
                status = 201 if created else max(o.status_code for o in outcomes)
            else:
                status = 403 if "collection" in form.errors and request.POST.get("collection") else 400
        else:
            form = UploadForm(user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload documents",
            "form": form,
            "outcomes": outcomes,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/documents/document/upload.html", context, status=status)

    def new_version_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        document = self.get_object(request, str(object_id))
        if document is None or not self.has_change_permission(request, document):
            raise Http404("No such document")
        form = NewVersionForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            if getattr(request, "upload_too_large", False):
                form = NewVersionForm()
                form.errors_list = [services.too_large_message()]
                status = 413
            elif form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    version = services.document_version_create(
                        user=request.user,
                        document=document,
                        stream=upload,
                        filename=upload.name,
                        meta=services.RequestMeta.from_request(request),
                    )
                except UploadRejected as exc:
                    form.add_error("file", exc.reason)
                    status = exc.status_code
                else:
                    self.message_user(request, f"Version {version.number} uploaded; processing has started.")
                    return HttpResponseRedirect(reverse("admin:documents_document_change", args=[document.pk]))
            else:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"New version of “{document.title}”",
            "form": form,
            "errors": getattr(form, "errors_list", []),
            "outcomes": [],
        }
        return TemplateResponse(request, "admin/documents/document/upload.html", context, status=status)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_id", "document_uuid", "ip_address"]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["object_id", "document_uuid", "actor__username", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

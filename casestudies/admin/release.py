"""Releases in the admin: a curator freezes the published data; nobody edits a release."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Release
from ..releases import ReleaseError, create_release
from ..releases.build import check_version
from ..releases.changelog import change_count


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["version", "notes"]

    def clean_version(self):
        version = self.cleaned_data["version"].strip()
        try:
            check_version(version)
        except ReleaseError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return version


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Adding a release is the "freeze" action; every existing release is read-only."""

    form = ReleaseForm
    list_display = ["version", "created", "case_count", "outcome_count", "changes", "page"]
    readonly_fields = [
        "version",
        "notes",
        "created",
        "created_by",
        "case_count",
        "outcome_count",
        "files",
        "changelog",
        "history_mark",
    ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["version", "notes"]

    @admin.display(description=_("changes since the previous"))
    def changes(self, obj: Release) -> int:
        return change_count(obj.changelog)

    @admin.display(description=_("public page"))
    def page(self, obj: Release):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    def has_change_permission(self, request, obj=None):
        return False  # a release is never edited

    def has_delete_permission(self, request, obj=None):
        return False  # nor deleted: readers cite it

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": gettext("Freeze the published data as a new release"),
            "subtitle": gettext(
                "Every published case, as it is now, under this version number; "
                "the release's files never change."
            ),
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # The service writes the files and the row together (or neither).
        obj.pk = create_release(
            version=form.cleaned_data["version"],
            notes=form.cleaned_data["notes"],
            user=request.user,
            base_url=request.build_absolute_uri("/"),
        ).pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ReleaseError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def log_addition(self, request, obj, message):
        obj = Release.objects.get(pk=obj.pk)
        return super().log_addition(request, obj, message)

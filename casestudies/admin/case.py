from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    DIMENSION_FIELDS,
    DIMENSIONS,
    Case,
    CaseSource,
    CaseStatus,
    Outcome,
    in_field_order,
    in_sentence,
)
from ..models.dimensions import CODING, STUDY, WHERE
from ..writes.concurrency import StaleVersion, lock_case
from ..writes.versions import one_version
from ..writes.workflow import (
    allowed_statuses,
    case_set_status,
    publication_problems,
    transition_problem,
)
from .case_history import CaseHistoryMixin
from .completeness import CodingCompleteFilter, coding_completeness
from .importing import case_import
from .safe_input import SafeInputAdminMixin
from .widgets import PreloadedAutocompleteSelect

VERSION_PREFIX = "_version_"


def _section(name: str, *others: str) -> list[str]:
    """The fields of an admin fieldset: the dimensions the registry puts in it and
    ``others``, in the case's one order (as the case page lays them out)."""
    return in_field_order([*(d.field for d in DIMENSIONS if d.admin_section == name), *others])


def _shown_version(request, case) -> int | None:
    """The version of ``case`` the list showed, or None when the list did not show it
    (a case on another page, chosen with "select all")."""
    raw = request.POST.get(f"{VERSION_PREFIX}{case.pk}", "")
    return int(raw) if raw.isdigit() else None


class OutcomeFormSet(BaseInlineFormSet):
    def clean(self):
        # Before super().clean(): its generic "duplicate data" message would come first.
        # The database refuses a second outcome for a dimension; say so here, by name.
        seen = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            dimension = data.get("dimension")
            if dimension is None or data.get("DELETE"):
                continue
            if dimension.pk in seen:
                raise ValidationError(
                    gettext(
                        "Two outcomes have the dimension “%(dimension)s”: a case has at most "
                        "one outcome per dimension. Merge them into one finding or pick another "
                        "dimension."
                    )
                    % {"dimension": dimension},
                    code="duplicate_dimension",
                )
            seen[dimension.pk] = form
        super().clean()


class PreloadedAutocompleteInline(admin.TabularInline):
    """An inline whose autocomplete fields cost one query per request, not one per row."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                PreloadedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OutcomeInline(PreloadedAutocompleteInline):
    model = Outcome
    formset = OutcomeFormSet
    extra = 1
    autocomplete_fields = ["dimension", "direction"]
    fields = ["dimension", "direction", "finding", "pages"]

    def get_queryset(self, request):
        # Each row's heading is str(outcome): "dimension: direction".
        return super().get_queryset(request).select_related("dimension", "direction")


class CaseSourceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        # Runs after the case form, whose values (status, countries) are on self.instance.
        case = self.instance
        if case.status != CaseStatus.PUBLISHED:
            return
        sources = [
            form.cleaned_data["source"]
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("source")
            and not form.cleaned_data.get("DELETE")
        ]
        countries = getattr(case, "_pending_countries", None)
        problems = publication_problems(case, countries=countries, sources=sources)
        if problems:
            raise ValidationError(
                [
                    gettext("This case cannot be published: %(problem)s")
                    % {"problem": p[0].lower() + p[1:]}
                    for p in problems
                ],
                code="publication",
            )


class CaseSourceInline(PreloadedAutocompleteInline):
    model = CaseSource
    formset = CaseSourceFormSet
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "locator", "confidence", "note"]
    verbose_name_plural = _("sources (provenance)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


class CaseAdminForm(forms.ModelForm):
    change_reason = forms.CharField(
        required=False,
        max_length=100,
        label=_("Reason for this change"),
        help_text=_("Optional; shown in the case's history."),
    )
    # The version of the case this form showed (casestudies.writes.concurrency): saving a
    # form opened before someone else's save is refused, with what they changed.
    seen_version = forms.IntegerField(
        label=_("Version seen"), widget=forms.HiddenInput, required=False, min_value=1
    )
    # Set per request by CaseAdmin.get_form, which also supplies Meta (model and fields).
    current_user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status_before = self.instance.status if self.instance.pk else CaseStatus.DRAFT
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version
            self.fields["seen_version"].required = True
            self.fields["seen_version"].error_messages["required"] = _(
                "This form does not say which version of the case it shows; reload the page "
                "and make your change again."
            )
        if "status" in self.fields:
            # The form sends back the status it was opened with, so a status the
            # curator left alone is never written over a change made meanwhile.
            self.fields["status"].show_hidden_initial = True
            if self.current_user is not None:
                allowed = set(
                    allowed_statuses(from_status=self.status_before, user=self.current_user)
                )
                self.fields["status"].choices = [
                    choice for choice in CaseStatus.choices if choice[0] in allowed
                ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("seen_version"):
            # Inside the admin's transaction: the row stays locked until the save.
            try:
                locked = lock_case(self.instance.pk, cleaned["seen_version"])
            except StaleVersion as exc:
                raise ValidationError(exc.messages, code="stale") from exc
            self.instance.version = locked.version
        if "status" in self.fields and "status" not in self.changed_data:
            cleaned["status"] = self.status_before
        status = cleaned.get("status")
        if status:
            problem = transition_problem(
                from_status=self.status_before, to_status=status, user=self.current_user
            )
            if problem:
                self.add_error("status", problem)
        if "countries" in cleaned:
            # Read by the sources inline, which checks what publishing needs.
            self.instance._pending_countries = list(cleaned["countries"])
        return cleaned


@admin.register(Case)
class CaseAdmin(SafeInputAdminMixin, CaseHistoryMixin, SimpleHistoryAdmin):
    form = CaseAdminForm
    list_display = [
        "title",
        "chapter_number",
        "country_list",
        "status",
        "outcome_count",
        "coding",
        "updated_at",
    ]
    list_display_links = ["title"]
    list_filter = [
        "status",
        CodingCompleteFilter,
        "chapter",
        *(d.field for d in DIMENSIONS if d.admin_list_filter),
    ]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["title", "slug", "summary", "locality", "participants", "chapter__authors"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["chapter", *DIMENSION_FIELDS, "users_influence"]
    readonly_fields = ["created_at", "updated_at", "created_by", "updated_by"]
    inlines = [OutcomeInline, CaseSourceInline]
    actions = ["submit_for_review", "publish", "unpublish"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["title", "slug", "chapter", "status", "summary"]}),
        (WHERE, {"fields": _section(WHERE, "locality", "start_year", "end_year")}),
        (CODING, {"fields": _section(CODING, "users_influence", "participants")}),
        (STUDY, {"fields": _section(STUDY, "units_studied", "source_pages", "coder_note")}),
        (_("Record"), {"fields": ["created_at", "created_by", "updated_at", "updated_by"]}),
        (_("History"), {"fields": ["change_reason", "seen_version"]}),
    ]

    def get_urls(self):
        # Before the inherited URLs, which would read "import" as a case id.
        import_url = path(
            "import/",
            self.admin_site.admin_view(case_import),
            name=f"{self.opts.app_label}_{self.opts.model_name}_import",
        )
        return [import_url, *super().get_urls()]

    def get_queryset(self, request):
        # with_related() pre-loads what the coding column reads: a fixed number of queries.
        return (
            super()
            .get_queryset(request)
            .with_related()
            .annotate(_outcome_count=Count("outcomes", distinct=True))
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"current_user": request.user})

    @admin.display(description=_("Ch."), ordering="chapter__number")
    def chapter_number(self, obj):
        return obj.chapter.number

    @admin.display(description=_("Countries"))
    def country_list(self, obj):
        return ", ".join(c.code for c in obj.countries.all()) or "—"

    @admin.display(description=_("Outcomes"), ordering="_outcome_count")
    def outcome_count(self, obj):
        return obj._outcome_count

    @admin.display(description=_("Coded"))
    def coding(self, obj):
        coded, total, missing = coding_completeness(obj)
        if not missing:
            return format_html("{}/{} <small>{}</small>", coded, total, gettext("complete"))
        # <details> keeps the row short and the list one click (or key) away, without JS.
        return format_html(
            "<details><summary>{}/{}</summary><small>{}</small></details>",
            coded,
            total,
            gettext("missing: %(fields)s")
            % {"fields": ", ".join(in_sentence(label) for label in missing)},
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        # The history row is written once, after the inlines, by save_related.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        del obj.skip_history_when_saving
        reason = form.cleaned_data.get("change_reason") or (
            "Edited in the admin" if change else "Created in the admin"
        )
        with one_version(obj, user=request.user, reason=reason, created=not change):
            super().save_related(request, form, formsets, change)

    def has_publish_permission(self, request):
        return request.user.has_perm("casestudies.publish_case")

    def action_checkbox(self, obj):
        # Each row also sends the version it shows, so an action on a case changed
        # since the list was rendered is refused (casestudies.writes.concurrency).
        return format_html(
            '{}<input type="hidden" name="{}{}" value="{}">',
            super().action_checkbox(obj),
            VERSION_PREFIX,
            obj.pk,
            obj.version,
        )

    def _set_status(self, request, queryset, status: str, verb: str, messages_: dict):
        """``verb`` is the history's reason (stored, in English, like every reason);
        ``messages_`` say what happened in the curator's language."""
        # One service call per case (never queryset.update) so each leaves a history entry.
        changed = 0
        across = request.POST.get("select_across") == "1"
        for case in queryset:
            if case.status == status:
                continue
            seen = _shown_version(request, case)
            if seen is None and not across:
                self.message_user(
                    request,
                    messages_["refused"]
                    % {
                        "case": case,
                        "reason": gettext(
                            "the list did not say which version of it you saw; reload the "
                            "list and try again."
                        ),
                    },
                    messages.WARNING,
                )
                continue
            try:
                case_set_status(
                    case=case,
                    status=status,
                    user=request.user,
                    reason=f"{verb} from the list",
                    seen_version=seen,
                )
            except (ValidationError, PermissionDenied) as exc:
                reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                self.message_user(
                    request,
                    messages_["refused"] % {"case": case, "reason": " ".join(reasons)},
                    messages.WARNING,
                )
                continue
            changed += 1
        self.message_user(
            request,
            messages_["done"](changed) % {"count": changed},
            messages.SUCCESS if changed else messages.INFO,
        )

    @admin.action(description=_("Submit selected cases for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._set_status(
            request,
            queryset,
            CaseStatus.REVIEW,
            "submitted for review",
            {
                "refused": gettext("“%(case)s” was not submitted for review: %(reason)s"),
                "done": lambda n: ngettext(
                    "%(count)d case submitted for review.",
                    "%(count)d cases submitted for review.",
                    n,
                ),
            },
        )

    @admin.action(description=_("Publish selected cases"), permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(
            request,
            queryset,
            CaseStatus.PUBLISHED,
            "published",
            {
                "refused": gettext("“%(case)s” was not published: %(reason)s"),
                "done": lambda n: ngettext(
                    "%(count)d case published.", "%(count)d cases published.", n
                ),
            },
        )

    @admin.action(
        description=_("Unpublish selected cases (back to draft)"), permissions=["publish"]
    )
    def unpublish(self, request, queryset):
        self._set_status(
            request,
            queryset,
            CaseStatus.DRAFT,
            "unpublished",
            {
                "refused": gettext("“%(case)s” was not unpublished: %(reason)s"),
                "done": lambda n: ngettext(
                    "%(count)d case unpublished.", "%(count)d cases unpublished.", n
                ),
            },
        )

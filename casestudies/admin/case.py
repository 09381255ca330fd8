from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from ..models import Case, CaseSource, CaseStatus, Outcome


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 1
    autocomplete_fields = ["dimension", "direction"]
    fields = ["dimension", "direction", "finding", "pages"]


class CaseSourceInline(admin.TabularInline):
    model = CaseSource
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "locator", "confidence", "note"]
    verbose_name_plural = "sources (provenance)"


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "chapter_number",
        "country_list",
        "status",
        "outcome_count",
        "updated_at",
    ]
    list_display_links = ["title"]
    list_filter = [
        "status",
        "chapter",
        "countries",
        "policy_fields",
        "participation_forms",
        "provider_types",
        "levels",
    ]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["title", "slug", "summary", "locality", "participants", "chapter__authors"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = [
        "chapter",
        "countries",
        "policy_fields",
        "provider_types",
        "participation_forms",
        "levels",
        "phases",
        "participation_dimensions",
        "citizen_roles",
        "users_influence",
        "methods",
    ]
    readonly_fields = ["created_at", "updated_at", "created_by", "updated_by"]
    inlines = [OutcomeInline, CaseSourceInline]
    actions = ["publish", "unpublish"]
    list_per_page = 50
    date_hierarchy = None
    fieldsets = [
        (None, {"fields": ["title", "slug", "chapter", "status", "summary"]}),
        ("Where and when", {"fields": ["countries", "locality", "start_year", "end_year"]}),
        (
            "Coding",
            {
                "fields": [
                    "policy_fields",
                    "provider_types",
                    "participation_forms",
                    "levels",
                    "phases",
                    "participation_dimensions",
                    "citizen_roles",
                    "users_influence",
                    "participants",
                ]
            },
        ),
        ("Study", {"fields": ["methods", "units_studied", "source_pages", "coder_note"]}),
        ("Record", {"fields": ["created_at", "created_by", "updated_at", "updated_by"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("chapter")
            .prefetch_related("countries")
            .annotate(_outcome_count=Count("outcomes", distinct=True))
        )

    @admin.display(description="Ch.", ordering="chapter__number")
    def chapter_number(self, obj):
        return obj.chapter.number

    @admin.display(description="Countries")
    def country_list(self, obj):
        return ", ".join(c.code for c in obj.countries.all()) or "—"

    @admin.display(description="Outcomes", ordering="_outcome_count")
    def outcome_count(self, obj):
        return obj._outcome_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def _set_status(self, request, queryset, status: str, verb: str):
        # One save per case (not queryset.update) so each change leaves a history entry.
        changed = 0
        for case in queryset.exclude(status=status):
            case.status = status
            case.updated_by = request.user
            case._change_reason = f"{verb} from the case list"
            case.save(update_fields=["status", "updated_by", "updated_at"])
            changed += 1
        self.message_user(
            request,
            ngettext("%d case %s.", "%d cases %s.", changed) % (changed, verb),
            messages.SUCCESS,
        )

    @admin.action(description="Publish selected cases", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, CaseStatus.PUBLISHED, "published")

    @admin.action(description="Unpublish selected cases (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, CaseStatus.DRAFT, "unpublished")

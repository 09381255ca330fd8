"""The case history pages of the admin: the list of versions, one version, a diff, revert.

They replace simple-history's own version page, whose form-based revert would
restore the case's columns but not its outcomes and sources; the work is done by
``casestudies.writes.history``.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext

from ..plumbing.bad_parameter import BadParameter
from ..writes.history import (
    case_diff,
    case_restore,
    case_revert,
    case_versions,
    deleted_cases,
    empty_state,
    live_state,
)

VERSIONS_PER_PAGE = 50
DELETED_PER_PAGE = 50


def _posted_version(request) -> int:
    """The case version a revert or restore form showed (casestudies.writes.concurrency)."""
    raw = request.POST.get("version", "")
    if not raw.isdigit():
        raise BadParameter(
            "version",
            gettext("the version of the case the page showed; reload the page and try again."),
        )
    return int(raw)


class CaseHistoryMixin:
    object_history_template = "admin/casestudies/case/object_history.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        # Before the inherited URLs: simple-history's "<id>/history/<version>/" would
        # otherwise take "compare" for a version id.
        return [
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name="{}_{}_deleted".format(*info),
            ),
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name="{}_{}_history_compare".format(*info),
            ),
            *super().get_urls(),
        ]

    def _case_for_history(self, request, object_id):
        # get_queryset() pre-loads the relations live_state() reads.
        case = self.get_object(request, unquote(object_id))
        if case is None:
            raise Http404(gettext("No case with that id."))
        if not self.has_view_or_change_permission(request, case):
            raise PermissionDenied
        return case

    def _context(self, request, case, **extra):
        opts = self.opts
        return {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "object": case,
            "original": case,
            "history_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_history", args=[case.pk]
            ),
            "compare_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_history_compare", args=[case.pk]
            ),
            **extra,
        }

    def _back_to_case(self, request, case, done: str, warnings: list[str]):
        """After a revert or a restore: say so (and what was left out), open the case."""
        self.message_user(request, done, messages.SUCCESS)
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(reverse("admin:{}_{}_change".format(*info), args=[case.pk]))

    def history_view(self, request, object_id, extra_context=None):
        """Every version, newest first, with what each changed; pick two to compare."""
        case = self._case_for_history(request, object_id)
        versions = case_versions(case.pk)
        # Writes that bypassed the admin and the import (a shell, a script) show up here.
        unrecorded = case_diff(versions[-1].state, live_state(case)) if versions else []
        page = Paginator(list(reversed(versions)), VERSIONS_PER_PAGE).get_page(request.GET.get("p"))
        context = self._context(
            request,
            case,
            title=gettext("History: %(case)s") % {"case": case},
            module_name=str(self.opts.verbose_name_plural).capitalize(),
            page_obj=page,
            versions=page.object_list,
            version_count=len(versions),
            unrecorded=unrecorded,
            can_revert=self.has_change_permission(request, case),
            **(extra_context or {}),
        )
        request.current_app = self.admin_site.name
        return render(request, self.object_history_template, context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One version: its values, what reverting would change, and the revert button."""
        case = self._case_for_history(request, object_id)
        try:
            history_id = int(version_id)
        except ValueError:
            raise Http404(gettext("No such version.")) from None
        versions = case_versions(case.pk)
        version = next((v for v in versions if v.history_id == history_id), None)
        if version is None:
            raise Http404(gettext("No such version of this case."))
        can_revert = self.has_change_permission(request, case) and version.kind != "-"
        errors, warnings = [], []
        if request.method == "POST":
            if not can_revert:
                raise PermissionDenied
            reason = request.POST.get("reason", "").strip()[:100]
            seen = _posted_version(request)
            try:
                warnings = case_revert(
                    case=case,
                    history_id=history_id,
                    user=request.user,
                    reason=reason,
                    seen_version=seen,
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                done = gettext("“%(case)s” was reverted to version %(number)s.") % {
                    "case": case,
                    "number": version.number,
                }
                return self._back_to_case(request, case, done, warnings)
        context = self._context(
            request,
            case,
            title=gettext("Version %(number)s of “%(case)s”")
            % {"number": version.number, "case": case},
            version=version,
            contents=case_diff(empty_state(), version.state),
            revert_changes=case_diff(live_state(case), version.state),
            # The version the page shows; the revert is refused if the case moves on.
            case_version=case.version,
            can_revert=can_revert,
            errors=errors,
            **(extra_context or {}),
        )
        request.current_app = self.admin_site.name
        return render(
            request,
            "admin/casestudies/case/history_version.html",
            context,
            status=400 if errors else 200,
        )

    def history_compare_view(self, request, object_id):
        """The differences between two versions (``from`` and ``to``; ``to`` may be "current")."""
        case = self._case_for_history(request, object_id)
        versions = {v.history_id: v for v in case_versions(case.pk)}
        allowed = [str(pk) for pk in versions]

        def pick(param):
            raw = request.GET.get(param, "")
            if param == "to" and raw in ("", "current"):
                return None
            try:
                return versions[int(raw)]
            except (ValueError, KeyError):
                raise BadParameter(param, gettext("not a version of this case."), allowed) from None

        older, newer = pick("from"), pick("to")
        if newer is not None and newer.number < older.number:
            older, newer = newer, older
        new_state = newer.state if newer else live_state(case)
        context = self._context(
            request,
            case,
            title=gettext("Changes to “%(case)s”") % {"case": case},
            older=older,
            newer=newer,
            changes=case_diff(older.state, new_state),
        )
        request.current_app = self.admin_site.name
        return render(request, "admin/casestudies/case/history_compare.html", context)

    def deleted_view(self, request):
        """Deleted cases, newest first, each with a button that restores it as a draft.

        Seeing the list needs the view (or change) permission on cases; restoring
        needs the add and change permissions, like the import.
        """
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        can_restore = self.has_add_permission(request) and self.has_change_permission(request)
        errors = []
        if request.method == "POST":
            if not can_restore:
                raise PermissionDenied
            try:
                case_id = int(request.POST.get("case", ""))
            except ValueError:
                raise BadParameter("case", gettext("the id of a deleted case.")) from None
            try:
                case, warnings = case_restore(
                    case_id=case_id,
                    user=request.user,
                    reason=request.POST.get("reason", "").strip()[:100],
                    seen_version=_posted_version(request),
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                done = gettext("“%(case)s” was restored as a draft, with its history.") % {
                    "case": case
                }
                return self._back_to_case(request, case, done, warnings)
        page = Paginator(deleted_cases(), DELETED_PER_PAGE).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": gettext("Deleted cases"),
            "page_obj": page,
            "records": page.object_list,
            "can_restore": can_restore,
            "errors": errors,
        }
        request.current_app = self.admin_site.name
        return render(
            request,
            "admin/casestudies/case/deleted.html",
            context,
            status=400 if errors else 200,
        )

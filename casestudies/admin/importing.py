"""The admin's spreadsheet import: upload -> preview -> confirm.

The uploaded bytes stay on the server (compressed in the session) between the
preview and the confirmation; the browser only sends back a random token. On
confirmation the file is checked again from scratch inside the transaction that
writes it, so nothing the client sends, and nothing changed in between, can
slip past the checks. Needs the "add case" and "change case" permissions.
"""

import base64
import secrets
import zlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..importing import ImportFileError, cases_import
from ..importing.reading import MAX_BYTES
from ..models import Case

SESSION_KEY = "case_import"
REQUIRED_PERMISSIONS = ("casestudies.add_case", "casestudies.change_case")
TEMPLATE = "admin/casestudies/case/import.html"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV in the columns of the cases CSV (/cases.csv): export, edit in a "
            "spreadsheet, save as CSV UTF-8, upload. Cases are matched by slug."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                gettext(
                    "Choose a .csv file (in a spreadsheet: Save as 'CSV UTF-8 (comma delimited)')."
                )
            )
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d MB; split it.")
                % {"size": MAX_BYTES // (1024 * 1024)}
            )
        return upload


def _stash(request, name: str, data: bytes, versions: dict) -> str:
    token = secrets.token_urlsafe(16)
    request.session[SESSION_KEY] = {
        "token": token,
        "name": name,
        "data": base64.b64encode(zlib.compress(data, 6)).decode("ascii"),
        # The versions the preview was based on: confirming over newer ones is refused.
        "versions": versions,
    }
    return token


def _unstash(request, token: str) -> tuple[str, bytes, dict] | None:
    stored = request.session.get(SESSION_KEY)
    if not stored or not token or not secrets.compare_digest(stored.get("token", ""), token):
        return None
    data = zlib.decompress(base64.b64decode(stored["data"]))
    return stored["name"], data, stored.get("versions", {})


def _context(request, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "opts": Case._meta,
        "title": gettext("Import cases from a spreadsheet"),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def case_import(request):
    """The import page; ``CaseAdmin.get_urls`` serves it (behind the admin's login)."""
    if not request.user.has_perms(REQUIRED_PERMISSIONS):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, TEMPLATE, _context(request, form=form), status=400)
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            report = cases_import(data, user=request.user, commit=False)
        except ImportFileError as exc:
            form.add_error("file", exc.message)
            return render(request, TEMPLATE, _context(request, form=form), status=400)
        token = _stash(request, upload.name, data, report.versions) if report.ok else ""
        context = _context(request, report=report, token=token, filename=upload.name)
        return render(request, TEMPLATE, context, status=200 if report.ok else 400)
    return render(request, TEMPLATE, _context(request, form=ImportForm()))


def _confirm(request):
    stashed = _unstash(request, request.POST.get("token", ""))
    if stashed is None:
        problem = gettext("This preview is no longer available; upload the file again.")
        context = _context(request, form=ImportForm(), problem=problem)
        return render(request, TEMPLATE, context, status=400)
    name, data, versions = stashed
    try:
        report = cases_import(data, user=request.user, commit=True, seen_versions=versions)
    except ImportFileError as exc:
        context = _context(request, form=ImportForm(), problem=exc.message)
        return render(request, TEMPLATE, context, status=400)
    if not report.written:
        # The data changed since the preview and a row no longer passes: show why.
        context = _context(request, report=report, token="", filename=name)
        return render(request, TEMPLATE, context, status=400)
    del request.session[SESSION_KEY]
    messages.success(
        request,
        gettext("Imported %(file)s: %(summary)s") % {"file": name, "summary": report.summary()},
    )
    return redirect(reverse("admin:casestudies_case_changelist"))

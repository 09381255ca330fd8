"""Admin requests carrying ids that are not ids: a 4xx with a message, never a 500.

Django's admin and django-simple-history trust a few values that only a hand-made
request gets wrong, and pass them to the database, whose conversion error was a
500: a history version ``abc`` in the URL, ``_selected_action=abc`` in an action's
POST, and ``chapter=1'`` in a form (the form refuses it, but the autocomplete
widget re-rendering the form looked the raw value up). Each is checked here with
the model field's own conversion, the one the database lookup would have used.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404
from django.utils.translation import gettext


def _converts(field, value) -> bool:
    try:
        # The validators hold the database's range: 10**30 is a number but no id.
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class _ConvertibleSelectedMixin:
    """Looks up only the selected values the target field can hold (the others are
    shown by the form as an error on the field, not looked up)."""

    def optgroups(self, name, value, attr=None):
        opts = self.field.remote_field.model._meta
        to_field = getattr(self.field.remote_field, "field_name", None)
        target = opts.get_field(to_field or opts.pk.name)
        value = [v for v in value if v in (None, "") or _converts(target, v)]
        return super().optgroups(name, value, attr)


class SafeAutocompleteSelect(_ConvertibleSelectedMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ConvertibleSelectedMixin, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteFieldsMixin:
    """For a ModelAdmin or an inline: its autocomplete fields use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SafeInputAdminMixin(SafeAutocompleteFieldsMixin):
    """Every admin of the site: actions, history URLs and autocomplete fields."""

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        bad = [value for value in selected if not _converts(pk, value)]
        if bad:
            shown = ", ".join(repr(v) for v in bad[:5])
            raise BadRequest(
                gettext(
                    "The selected items must be ids of %(things)s; these are not: %(values)s. "
                    "Select the rows in the list and try again."
                )
                % {"things": self.model._meta.verbose_name_plural, "values": shown}
            )
        return super().response_action(request, queryset)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history passes both straight to get_object_or_404.
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute).model
        if not _converts(self.model._meta.pk, unquote(object_id)) or not _converts(
            history._meta.pk, version_id
        ):
            raise Http404(gettext("No such version."))
        return super().history_form_view(request, object_id, version_id, extra_context)

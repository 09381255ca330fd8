"""An autocomplete widget for inline rows that does not query once per row.

Django's ``AutocompleteSelect`` looks up the selected option of every rendered
form with its own query, so a case with eight outcomes costs sixteen queries
for two small vocabularies. This one loads the table once per request and
shares it between the copies Django makes of the widget for each form.
"""

from django.contrib.admin.widgets import AutocompleteSelect


class PreloadedAutocompleteSelect(AutocompleteSelect):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Widgets are shallow-copied per form, so this dict is shared by the whole formset
        # (whose form class, and with it this widget, is built afresh for each request).
        self._loaded: dict[str, object] = {}

    def optgroups(self, name, value, attr=None):
        if not self._loaded:
            self._loaded.update((str(obj.pk), obj) for obj in self.choices.queryset.using(self.db))
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        # A foreign key has one selected value; the first known one wins, as in Django.
        for raw in value:
            obj = self._loaded.get(str(raw))
            if obj is not None:
                label = self.choices.field.label_from_instance(obj)
                options.append(self.create_option(name, obj.pk, label, {str(raw)}, len(options)))
                break
        return [(None, options, 0)]

"""Users and groups: Django's own admins, with the site's checks of hand-made input."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from .safe_input import SafeInputAdminMixin


class AtlasUserAdmin(SafeInputAdminMixin, UserAdmin):
    pass


class AtlasGroupAdmin(SafeInputAdminMixin, GroupAdmin):
    pass


admin.site.unregister(User)
admin.site.register(User, AtlasUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AtlasGroupAdmin)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasestudiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casestudies"
    verbose_name = _("Co-production cases")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .datastamp import rotate_epoch_after_migrate
        from .extracts.stored_lines import install_after_migrate
        from .reads.search import repair_after_migrate

        # SQLite drops a table's triggers when a migration rebuilds it; the search
        # index (casestudies/reads/search.py) must get them back.
        post_migrate.connect(repair_after_migrate, sender=self)
        # A restore winds the data stamp's counter back; the documented restores end
        # with migrate, which gives the data a new epoch (casestudies/datastamp.py).
        post_migrate.connect(rotate_epoch_after_migrate, sender=self)
        # cases.csv's stored lines: rendered with the columns of the code now deployed.
        post_migrate.connect(install_after_migrate, sender=self)

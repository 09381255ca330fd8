from django.core.management.base import BaseCommand

from casestudies.plumbing.roles import CURATORS_GROUP, curators_group_sync


class Command(BaseCommand):
    help = f"Create or update the '{CURATORS_GROUP}' group with exactly the curator permissions."

    def handle(self, *args, **options):
        group = curators_group_sync()
        self.stdout.write(
            self.style.SUCCESS(f"{group.name}: {group.permissions.count()} permissions.")
        )

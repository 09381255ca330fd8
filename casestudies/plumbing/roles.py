"""The Curators group: exactly the permissions a curator needs.

Curators edit the content (cases, outcomes, provenance, sources, chapters,
countries and the codebook), publish and unpublish cases, and see and revert
history; nothing about users, groups or sessions: managing people stays with
superusers.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

CURATORS_GROUP = "Curators"

# model name -> the actions a curator may take on it
CURATOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # "publish" is the custom publish_case permission (casestudies.writes.workflow).
    "case": ("add", "change", "delete", "view", "publish"),
    "outcome": ("add", "change", "delete", "view"),
    "casesource": ("add", "change", "delete", "view"),
    "source": ("add", "change", "view"),
    "chapter": ("add", "change", "view"),
    "country": ("add", "change", "view"),
    "policyfield": ("add", "change", "view"),
    "providertype": ("add", "change", "view"),
    "participationform": ("add", "change", "view"),
    "level": ("add", "change", "view"),
    "phase": ("add", "change", "view"),
    "participationdimension": ("add", "change", "view"),
    "influencelevel": ("add", "change", "view"),
    "citizenrole": ("add", "change", "view"),
    "method": ("add", "change", "view"),
    "outcomedimension": ("add", "change", "view"),
    "outcomedirection": ("add", "change", "view"),
    "worldregion": ("add", "change", "view"),
    "welfaretradition": ("add", "change", "view"),
    # Curators freeze releases; nobody changes or deletes one (ReleaseAdmin).
    "release": ("add", "view"),
}


def curator_permission_codenames() -> set[str]:
    return {
        f"{action}_{model}" for model, actions in CURATOR_PERMISSIONS.items() for action in actions
    }


@transaction.atomic
def curators_group_sync() -> Group:
    """Create or update the group so it holds exactly the curator permissions."""
    group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
    wanted = curator_permission_codenames()
    permissions = list(
        Permission.objects.filter(content_type__app_label="casestudies", codename__in=wanted)
    )
    missing = wanted - {p.codename for p in permissions}
    if missing:
        raise RuntimeError(f"Permissions not found (run migrate first): {sorted(missing)}")
    group.permissions.set(permissions)
    return group

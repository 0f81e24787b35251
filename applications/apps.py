from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _round_created(sender, instance, created, **kwargs):
    # Every new application round starts with the three sub-projects of the 2020 notice;
    # CAST staff rename or regroup them in the admin (later years did).
    if created and not kwargs.get("raw"):
        from .services import subprojects_ensure_defaults

        subprojects_ensure_defaults(round=instance)


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("智惠行动项目申报")

    def ready(self) -> None:
        from workflows.models import Round

        post_save.connect(_round_created, sender=Round, dispatch_uid="applications_default_subprojects")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdministrationConfig(AppConfig):
    """Running the programme from the site: rounds and sub-projects (``rounds``), units and
    accounts (``people``), the calendar, the sensitive terms and the log of rule changes
    (``rules``). Every change goes through a service that appends an audit event."""

    name = "administration"
    verbose_name = _("业务管理")

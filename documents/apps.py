from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("文件与导出")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the PDF font check)

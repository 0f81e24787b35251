from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.services import OrganizationImportError, organizations_import


class Command(BaseCommand):
    help = (
        "Import or update organizations from CSV or JSON (code, name, type, parent, pilot_county; "
        "optional legal_person, channel); all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = organizations_import(path=file)
        except OrganizationImportError as exc:
            raise CommandError(
                "导入失败，未写入任何数据（import refused, nothing written）：\n" + "\n".join(exc.errors)
            ) from exc
        self.stdout.write(
            f"组织导入完成：新建 {result['created']} 个，更新 {result['updated']} 个"
            f"（created {result['created']}, updated {result['updated']}）"
        )

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import member_create


class Command(BaseCommand):
    help = "Create or update a user with a role in an organization."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--org", required=True, help="organization code")
        parser.add_argument("--role", required=True)
        parser.add_argument("--password", default=None)
        parser.add_argument("--email", default=None)
        parser.add_argument("--name", default=None, help="display name")

    def handle(self, *args, **options):
        try:
            user, created = member_create(
                username=options["username"],
                org_code=options["org"],
                role=options["role"],
                password=options["password"],
                email=options["email"],
                display_name=options["name"],
            )
        except ValidationError as exc:
            raise CommandError("未创建成员（nothing changed）：\n" + "\n".join(exc.messages)) from exc
        verb = "已创建" if created else "已更新"
        self.stdout.write(
            f"{verb}用户 {user.username}：{options['role']} @ {options['org']}（{'created' if created else 'updated'}）"
        )

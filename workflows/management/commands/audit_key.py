"""``manage.py audit_key [--create FILE] [--pem]``: make the ledger's signing key, or print its
public key (what the README asks operators to publish)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workflows.ledger import signing


class Command(BaseCommand):
    help = "Create the audit ledger's Ed25519 signing key, or print its public key."

    def add_arguments(self, parser):
        parser.add_argument("--create", metavar="FILE", help="write a new private key to FILE (mode 0600)")
        parser.add_argument("--pem", action="store_true", help="print the public key as PEM only")

    def handle(self, *args, **options):
        if options["create"]:
            path = Path(options["create"])
            try:
                key = signing.generate_key_file(path)
            except FileExistsError as exc:
                raise CommandError(f"{path} 已存在，不会覆盖（exists; not overwritten）") from exc
            info = signing.public_key_info(key.public_key())
            self.stdout.write(f"已创建签名密钥（signing key created）: {path}")
        else:
            info = signing.public_key_info()
        if options["pem"]:
            self.stdout.write(info.pem.rstrip())
            return
        self.stdout.write(f"origin:        {info.origin}")
        self.stdout.write(f"key id:        {info.key_id}")
        self.stdout.write(f"public key:    {info.public_key}")
        self.stdout.write(f"verifier key:  {info.verifier_key}")
        self.stdout.write(info.pem.rstrip())

"""``manage.py verify_audit [--since N] [--public-key FILE] [--checkpoint-file FILE]``.

Checks every record's hash chain, every leaf of the ledger's Merkle log, every signed
checkpoint's root and signature and the checkpoint file kept outside the database
(``workflows.ledger.verify``). Exit 0 and the counts when intact; exit 1 naming the first
problem (record, event) otherwise.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workflows.ledger import signing
from workflows.ledger.verify import verify_ledger


class Command(BaseCommand):
    help = "Verify the audit trail: record chains, ledger leaves, signed checkpoints, the checkpoint file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=int,
            default=None,
            help="start from the checkpoint of this tree size, trusted (verified earlier or read from the file)",
        )
        parser.add_argument(
            "--public-key",
            action="append",
            default=None,
            help="a public key (PEM or base64) to check signatures with, instead of the configured ones; repeatable",
        )
        parser.add_argument("--checkpoint-file", default=None, help="the checkpoint file to hold the database against")

    def handle(self, *args, **options):
        key = None
        if options["public_key"]:
            try:
                key = [signing.load_public_key(Path(name).read_bytes()) for name in options["public_key"]]
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取公钥（cannot read the public key）: {exc}") from exc
        file = Path(options["checkpoint_file"]) if options["checkpoint_file"] else None
        report = verify_ledger(since=options["since"], public_key=key, file=file)
        for note in report.notes:
            self.stdout.write(f"注意（note）：{note}")
        if report.ok:
            since = f"，自树大小 {report.since} 起" if report.since else ""
            self.stdout.write(
                f"审计账本完整{since}：{report.events} 个事件（{report.records} 条记录链），"
                f"{report.leaves} 个叶子，{report.checkpoints} 个签名检查点，{report.pending} 个事件待入账"
                f"（audit ledger intact: {report.events} events in {report.records} record chains, "
                f"{report.leaves} leaves, {report.checkpoints} signed checkpoints, latest tree size "
                f"{report.latest_size}, {report.pending} events queued）"
            )
            return
        problem = report.problem
        where = problem.where()
        self.stderr.write(
            f"审计账本校验失败{('：' + where) if where else ''}：{problem.message}"
            f"（audit ledger broken{(' at ' + where) if where else ''}: {problem.message}）"
        )
        raise SystemExit(1)

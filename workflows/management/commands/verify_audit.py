from django.core.management.base import BaseCommand

from workflows.audit import verify_chain


class Command(BaseCommand):
    help = "Re-compute the audit hash chain; exit 1 naming the first broken event."

    def handle(self, *args, **options):
        count, problem = verify_chain()
        if problem is None:
            self.stdout.write(f"审计链完整：{count} 个事件（audit chain intact: {count} events）")
            return
        self.stderr.write(
            f"审计链在事件 seq={problem.seq} id={problem.event_id} 处断裂：{problem.reason}"
            f"（audit chain broken at seq {problem.seq}, id {problem.event_id}: {problem.reason}）"
        )
        raise SystemExit(1)

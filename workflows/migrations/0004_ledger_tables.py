"""The audit ledger, step 1 of 3: per-record sequence numbers beside the global one, the
client-address nonce, the ledger's tables, the lock and number rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_attachment")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="record_seq",
            field=models.PositiveIntegerField(null=True, verbose_name="记录内序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="ip_nonce",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="地址承诺随机数"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="LedgerPending",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="workflows.auditevent",
                    ),
                ),
            ],
            options={"verbose_name": "待入账审计事件", "verbose_name_plural": "待入账审计事件"},
        ),
        migrations.CreateModel(
            name="LedgerLeaf",
            fields=[
                ("index", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="叶子序号")),
                ("hash", models.CharField(max_length=64, verbose_name="叶子哈希")),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_leaf",
                        to="workflows.auditevent",
                        verbose_name="审计事件",
                    ),
                ),
            ],
            options={"verbose_name": "账本叶子", "verbose_name_plural": "账本叶子", "ordering": ["index"]},
        ),
        migrations.CreateModel(
            name="LedgerNode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("level", models.PositiveSmallIntegerField(verbose_name="层")),
                ("index", models.BigIntegerField(verbose_name="序号")),
                ("hash", models.CharField(max_length=64, verbose_name="哈希")),
            ],
            options={
                "verbose_name": "账本节点",
                "verbose_name_plural": "账本节点",
                "constraints": [models.UniqueConstraint(fields=("level", "index"), name="one_ledger_node_per_position")],
            },
        ),
        migrations.CreateModel(
            name="LedgerCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tree_size", models.BigIntegerField(unique=True, verbose_name="树大小")),
                ("root_hash", models.CharField(max_length=64, verbose_name="根哈希")),
                ("timestamp", models.DateTimeField(verbose_name="签发时间")),
                ("origin", models.CharField(max_length=200, verbose_name="日志名称")),
                ("key_id", models.CharField(max_length=8, verbose_name="密钥标识")),
                ("signature", models.CharField(max_length=200, verbose_name="签名")),
            ],
            options={"verbose_name": "账本检查点", "verbose_name_plural": "账本检查点", "ordering": ["tree_size"]},
        ),
        migrations.CreateModel(
            name="NumberSequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                ("series", models.CharField(max_length=100, verbose_name="序列")),
                ("last", models.PositiveIntegerField(default=0, verbose_name="最后编号")),
            ],
            options={
                "verbose_name": "编号序列",
                "verbose_name_plural": "编号序列",
                "constraints": [models.UniqueConstraint(fields=("year", "series"), name="one_number_sequence")],
            },
        ),
    ]

"""One hash chain per organization (plus the platform chain, 0) instead of one global chain.

The single global chain head made every audited write of every organization commit one
at a time, and would be one hot row for all shards once tables are distributed by
organization. Existing rows move to their organization's chain (``chain`` =
``organization_id``, or 0 without one) in their original order, with ``seq``,
``prev_hash`` and ``hash`` recomputed per chain, and one head per chain.

Before recomputing anything the old global chain is verified: rechaining a trail that was
already tampered with would launder the tampering, so the migration stops instead (run
``audit_verify`` of the previous release to see where it is broken). Anchors kept from
before this migration no longer match: keep the last one with the old trail's backup.

On PostgreSQL the append-only trigger (0002) has to be disabled for the rewrite, inside
this migration's transaction (only the tables' owner, who runs migrations, can). Not
reversible: a many-chain trail does not fold back into the single-row head.
"""

import hashlib
import json
from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models

GENESIS_HASH = "0" * 64
BATCH = 2000

# Frozen copies of the canonical payload (nyeri/audit/chain.py) before and after this
# migration: later changes to chain.py must not change what this migration computes.
_FIELDS = (
    "actor_id",
    "actor_label",
    "organization_id",
    "facility_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "request_id",
    "client_address",
)


def _hash(row, *, seq, prev_hash, chain=None):
    data = {name: getattr(row, name) for name in _FIELDS}
    data["occurred_at"] = row.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data["seq"] = seq
    data["prev_hash"] = prev_hash
    if chain is not None:
        data["chain"] = chain
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _old_chain_problem(row, *, expected_seq, prev_hash):
    if _hash(row, seq=row.seq, prev_hash=row.prev_hash) != row.hash:
        return "its hash does not match its contents"
    if row.seq != expected_seq:
        return f"seq {expected_seq} is missing before it"
    if row.prev_hash != prev_hash:
        return "its prev_hash is not the hash of the row before it"
    return None


def rechain(apps, schema_editor):
    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    alias = schema_editor.connection.alias
    events = Event.objects.using(alias)
    heads = Head.objects.using(alias)
    if not events.exists() and not heads.exists():
        return  # A fresh database: nothing to move.
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        schema_editor.execute("ALTER TABLE audit_auditchainhead DISABLE TRIGGER audit_head_forward_only")

    old_seq, old_hash = 0, GENESIS_HASH
    chains = {}  # chain -> (seq, hash, prev_hash) of its last row so far
    while True:
        # Keyset pages in the old global order: the table is rewritten while it is read.
        batch = list(events.filter(seq__gt=old_seq).order_by("seq")[:BATCH])
        if not batch:
            break
        for row in batch:
            problem = _old_chain_problem(row, expected_seq=old_seq + 1, prev_hash=old_hash)
            if problem is not None:
                raise RuntimeError(
                    f"audit trail broken at seq {row.seq} (id {row.pk}): {problem}. Not migrating it to "
                    "per-organization chains (that would hide the tampering): investigate with audit_verify first."
                )
            old_seq, old_hash = row.seq, row.hash
            chain = row.organization_id or 0
            seq, prev_hash, _ = chains.get(chain, (0, GENESIS_HASH, GENESIS_HASH))
            row.chain, row.seq, row.prev_hash = chain, seq + 1, prev_hash
            row.hash = _hash(row, seq=row.seq, prev_hash=row.prev_hash, chain=chain)
            chains[chain] = (row.seq, row.hash, row.prev_hash)
        events.bulk_update(batch, ["chain", "seq", "prev_hash", "hash"])
        # The page just rewritten has smaller seqs now: continue after the old ones.
    old_head = heads.first()
    if old_head is not None and (old_head.seq, old_head.hash) != (old_seq, old_hash):
        raise RuntimeError(
            f"audit chain head (seq {old_head.seq}) does not match the trail's last row (seq {old_seq}): "
            "not migrating it to per-organization chains; investigate with audit_verify first."
        )
    heads.all().delete()
    heads.bulk_create(
        [Head(chain=chain, seq=seq, hash=hash_, prev_hash=prev) for chain, (seq, hash_, prev) in sorted(chains.items())]
    )
    if postgresql:
        # Run the deferred foreign-key checks now: PostgreSQL alters no table with checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
        schema_editor.execute("ALTER TABLE audit_auditchainhead ENABLE TRIGGER audit_head_forward_only")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_head_prev_hash"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        # Unique per chain from now on (the constraints are added once the rows are rechained).
        migrations.AlterField(model_name="auditevent", name="seq", field=models.BigIntegerField()),
        # The hash covers chain and seq: the (chain, seq) constraint already refuses a duplicate.
        migrations.AlterField(model_name="auditevent", name="hash", field=models.CharField(max_length=64)),
        # Covered by the audit_org_time index, whose first column it is.
        migrations.AlterField(
            model_name="auditevent",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.organization",
            ),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["id"], "verbose_name": "audit event", "verbose_name_plural": "audit events"},
        ),
        migrations.RemoveConstraint(model_name="auditchainhead", name="audit_head_single_row"),
        migrations.RenameField(model_name="auditchainhead", old_name="id", new_name="chain"),
        migrations.AlterField(
            model_name="auditchainhead",
            name="chain",
            field=models.BigIntegerField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(rechain, elidable=False),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_chain_seq_unique"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("chain", 0), ("organization__isnull", True)),
                    models.Q(("chain", models.F("organization")), ("organization__isnull", False)),
                    _connector="OR",
                ),
                name="audit_chain_is_organization",
            ),
        ),
    ]

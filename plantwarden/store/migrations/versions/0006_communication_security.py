"""Security facts of each communication (TLS versions and suites, OPC UA security modes, SNMP versions,
credentials in clear ...), the input of the encryption posture (docs/inventory.md, docs/zones.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communication_security",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("communication_id", sa.Integer(), sa.ForeignKey("communications.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("communication_id", "name", "value", name="uq_communication_security_key"),
    )
    op.create_index("ix_communication_security_communication_id", "communication_security", ["communication_id"])


def downgrade() -> None:
    op.drop_index("ix_communication_security_communication_id", table_name="communication_security")
    op.drop_table("communication_security")

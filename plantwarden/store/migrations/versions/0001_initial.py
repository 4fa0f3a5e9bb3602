"""Initial schema: captures, assets, asset facts, communications, function counts, weird counts.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("first_ts", sa.Double(), nullable=True),
        sa.Column("last_ts", sa.Double(), nullable=True),
        sa.Column("analyzed_at", sa.Double(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_captures_sha256"),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(32), nullable=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("purdue_level", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("serves", sa.BigInteger(), nullable=False),
        sa.Column("reads", sa.BigInteger(), nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.Column("programs", sa.BigInteger(), nullable=False),
        sa.Column("identifies", sa.BigInteger(), nullable=False),
        sa.Column("macs", sa.JSON(), nullable=False),
        sa.Column("protocols", sa.JSON(), nullable=False),
        sa.UniqueConstraint("ip", name="uq_assets_ip"),
    )
    op.create_table(
        "asset_facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("protocol", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("captures.id"), nullable=False),
        sa.Column("frame", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(128), nullable=False),
        sa.Column("first_seen", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("asset_id", "name", "value", "protocol", name="uq_asset_facts_key"),
    )
    op.create_index("ix_asset_facts_asset_id", "asset_facts", ["asset_id"])
    op.create_table(
        "communications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("server", sa.String(64), nullable=False),
        sa.Column("protocol", sa.String(64), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("server_ports", sa.JSON(), nullable=False),
        sa.Column("flows", sa.BigInteger(), nullable=False),
        sa.Column("client_packets", sa.BigInteger(), nullable=False),
        sa.Column("server_packets", sa.BigInteger(), nullable=False),
        sa.Column("client_bytes", sa.BigInteger(), nullable=False),
        sa.Column("server_bytes", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.UniqueConstraint("client", "server", "protocol", name="uq_communications_key"),
    )
    op.create_index("ix_communications_client", "communications", ["client"])
    op.create_index("ix_communications_server", "communications", ["server"])
    op.create_table(
        "communication_functions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("communication_id", sa.Integer(),
                  sa.ForeignKey("communications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("responses", sa.BigInteger(), nullable=False),
        sa.Column("exceptions", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("communication_id", "code", name="uq_communication_functions_key"),
    )
    op.create_index("ix_communication_functions_communication_id", "communication_functions",
                    ["communication_id"])
    op.create_table(
        "weird_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("captures.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("protocol", sa.String(64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("capture_id", "name", "protocol", name="uq_weird_counts_key"),
    )
    op.create_index("ix_weird_counts_capture_id", "weird_counts", ["capture_id"])


def downgrade() -> None:
    op.drop_table("weird_counts")
    op.drop_table("communication_functions")
    op.drop_table("communications")
    op.drop_table("asset_facts")
    op.drop_table("assets")
    op.drop_table("captures")

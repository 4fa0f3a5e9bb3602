"""Indicators of compromise (docs/iocs.md).

Revision ID: 0003
Revises: 0002
Create Date: 2024-06-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(2000), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("stix_id", sa.String(128), nullable=True),
        sa.Column("valid_from", sa.Double(), nullable=True),
        sa.Column("valid_until", sa.Double(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("source", "kind", "value", name="uq_indicators_key"),
    )


def downgrade() -> None:
    op.drop_table("indicators")

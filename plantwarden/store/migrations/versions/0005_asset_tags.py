"""Asset tags: labels the user puts on assets by IP address or MAC (docs/tags.md); zones select their
members by tag.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_tags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("tag", "address", name="uq_asset_tags_key"),
    )
    op.create_index("ix_asset_tags_address", "asset_tags", ["address"])


def downgrade() -> None:
    op.drop_index("ix_asset_tags_address", table_name="asset_tags")
    op.drop_table("asset_tags")

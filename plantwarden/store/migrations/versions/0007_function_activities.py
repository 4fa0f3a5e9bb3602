"""What each function's requests did (activity -> requests), for the zones check's function classes
(docs/inventory.md, docs/zones.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("communication_functions", sa.Column("activities", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("communication_functions") as batch:
        batch.drop_column("activities")

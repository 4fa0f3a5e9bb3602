"""Advisories (CSAF 2.0 documents as imported), the findings of matching them to the inventory with
their OT priority, and the known-exploited vulnerabilities list (docs/vulns.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tracking_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("current_release_date", sa.String(64), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("tracking_id", name="uq_advisories_tracking_id"),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("advisory_id", sa.Integer(), sa.ForeignKey("advisories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product_id", sa.String(200), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("version", sa.String(200), nullable=True),
        sa.Column("cves", sa.JSON(), nullable=False),
        sa.Column("cvss_score", sa.Double(), nullable=True),
        sa.Column("cvss_vector", sa.String(200), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("remediations", sa.JSON(), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_until", sa.Double(), nullable=True),
        sa.Column("first_found", sa.Double(), nullable=False),
        sa.Column("last_found", sa.Double(), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("exposure", sa.String(16), nullable=False),
        sa.Column("criticality", sa.String(8), nullable=False),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("priority_why", sa.JSON(), nullable=False),
        sa.UniqueConstraint("asset_id", "advisory_id", "product_id", name="uq_findings_key"),
    )
    op.create_table(
        "known_exploited",
        sa.Column("cve", sa.String(32), primary_key=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("date_added", sa.String(32), nullable=True),
        sa.Column("due_date", sa.String(32), nullable=True),
        sa.Column("ransomware", sa.String(32), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
    )
    op.create_index("ix_findings_asset_id", "findings", ["asset_id"])
    op.create_index("ix_findings_status", "findings", ["status"])


def downgrade() -> None:
    op.drop_table("known_exploited")
    op.drop_index("ix_findings_status", table_name="findings")
    op.drop_index("ix_findings_asset_id", table_name="findings")
    op.drop_table("findings")
    op.drop_table("advisories")

"""Suppliers (docs/suppliers.md): the register, questionnaires, assessments and contract clauses; and
the identity of assets as the user enters it (docs/vulns.md, "Entered assets").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("vendor_key", sa.String(200), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("remote_hosts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("name", name="uq_suppliers_name"),
    )
    op.create_table(
        "questionnaires",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
    )
    op.create_table(
        "supplier_assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("suppliers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("questionnaire", sa.String(64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("risk", sa.String(8), nullable=False),
        sa.Column("assessor", sa.String(200), nullable=True),
        sa.Column("assessed_at", sa.Double(), nullable=False),
        sa.Column("next_review", sa.Double(), nullable=False),
    )
    op.create_index("ix_supplier_assessments_supplier_id", "supplier_assessments", ["supplier_id"])
    op.create_table(
        "supplier_clauses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("suppliers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clause", sa.Text(), nullable=False),
        sa.Column("due", sa.Double(), nullable=False),
        sa.Column("done_at", sa.Double(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
    )
    op.create_index("ix_supplier_clauses_supplier_id", "supplier_clauses", ["supplier_id"])
    op.create_table(
        "asset_entries",
        sa.Column("ip", sa.String(64), primary_key=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("firmware", sa.String(200), nullable=True),
        sa.Column("serial", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", sa.Double(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("asset_entries")
    op.drop_index("ix_supplier_clauses_supplier_id", table_name="supplier_clauses")
    op.drop_table("supplier_clauses")
    op.drop_index("ix_supplier_assessments_supplier_id", table_name="supplier_assessments")
    op.drop_table("supplier_assessments")
    op.drop_table("questionnaires")
    op.drop_table("suppliers")

"""SBOMs, their components, OSV records, the findings of OSV records in components and imported VEX
documents (docs/vulns.md, "SBOM, VEX and OSV").

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sboms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("spec", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("supplier", sa.Text(), nullable=True),
        sa.Column("asset_ip", sa.String(64), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_sboms_asset_ip", "sboms", ["asset_ip"])
    op.create_index("ix_sboms_sha256", "sboms", ["sha256"])
    op.create_table(
        "sbom_components",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sbom_id", sa.Integer(), sa.ForeignKey("sboms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("purl", sa.Text(), nullable=True),
        sa.Column("cpe", sa.Text(), nullable=True),
        sa.Column("type", sa.String(64), nullable=True),
        sa.Column("supplier", sa.Text(), nullable=True),
        sa.Column("group", sa.Text(), nullable=True),
        sa.Column("bom_ref", sa.Text(), nullable=True),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("licenses", sa.JSON(), nullable=False),
        sa.Column("spdx_licenses", sa.JSON(), nullable=False),
    )
    op.create_index("ix_sbom_components_sbom_id", "sbom_components", ["sbom_id"])
    op.create_table(
        "osv_advisories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("osv_id", sa.String(200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("modified", sa.String(64), nullable=True),
        sa.Column("withdrawn", sa.String(64), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("osv_id", name="uq_osv_advisories_osv_id"),
    )
    op.create_table(
        "component_findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("component_id", sa.Integer(), sa.ForeignKey("sbom_components.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("advisory_id", sa.Integer(), sa.ForeignKey("osv_advisories.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("cves", sa.JSON(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("fixed_in", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("justification", sa.String(200), nullable=True),
        sa.Column("vex_document", sa.Text(), nullable=True),
        sa.Column("first_found", sa.Double(), nullable=False),
        sa.Column("last_found", sa.Double(), nullable=False),
        sa.UniqueConstraint("component_id", "advisory_id", name="uq_component_findings_key"),
    )
    op.create_index("ix_component_findings_component_id", "component_findings", ["component_id"])
    op.create_index("ix_component_findings_advisory_id", "component_findings", ["advisory_id"])
    op.create_index("ix_component_findings_state", "component_findings", ["state"])
    op.create_table(
        "vex_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Text(), nullable=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("statements", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_vex_documents_sha256", "vex_documents", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_vex_documents_sha256", table_name="vex_documents")
    op.drop_table("vex_documents")
    op.drop_index("ix_component_findings_state", table_name="component_findings")
    op.drop_index("ix_component_findings_advisory_id", table_name="component_findings")
    op.drop_index("ix_component_findings_component_id", table_name="component_findings")
    op.drop_table("component_findings")
    op.drop_table("osv_advisories")
    op.drop_index("ix_sbom_components_sbom_id", table_name="sbom_components")
    op.drop_table("sbom_components")
    op.drop_index("ix_sboms_sha256", table_name="sboms")
    op.drop_index("ix_sboms_asset_ip", table_name="sboms")
    op.drop_table("sboms")

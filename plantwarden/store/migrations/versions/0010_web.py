"""The web service (docs/web.md): login sessions, background capture jobs, settings, and what the
dashboard's pages need with a million alerts: indexes, and ``alert_hourly``, the number of alerts per
(severity, state, hour first seen), kept by triggers on ``alerts`` so that no code path can forget it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_web_sessions_hash"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "capture_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
    )
    op.create_index("ix_alerts_state_severity_last_seen", "alerts", ["state", "severity", "last_seen"])
    op.create_index("ix_alerts_last_seen", "alerts", ["last_seen"])
    op.create_index("ix_alerts_state_last_seen", "alerts", ["state", "last_seen"])
    op.create_index("ix_alerts_src_state", "alerts", ["src", "state"])
    op.create_index("ix_alerts_dst_state", "alerts", ["dst", "state"])
    op.create_index("ix_alerts_updated_at", "alerts", ["updated_at"])
    op.create_index("ix_communications_flows", "communications", ["flows"])
    op.create_table(
        "alert_hourly",
        sa.Column("severity", sa.String(16), primary_key=True),
        sa.Column("state", sa.String(16), primary_key=True),
        sa.Column("hour", sa.BigInteger(), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    hour = HOUR_SQLITE if dialect == "sqlite" else HOUR_POSTGRES
    if dialect == "sqlite":
        for stmt in sqlite_triggers():
            op.execute(stmt)
    elif dialect == "postgresql":
        for stmt in postgres_triggers():
            op.execute(stmt)
    h = hour.format(t="alerts")
    op.execute(f"INSERT INTO alert_hourly (severity, state, hour, n) SELECT severity, state, {h}, count(*) "
               f"FROM alerts GROUP BY severity, state, {h}")


#: the hour (epoch seconds / 3600, rounded down: traffic times are not negative) of an alert's first_seen
HOUR_SQLITE = "CAST({t}.first_seen / 3600.0 AS INTEGER)"
HOUR_POSTGRES = "CAST(floor({t}.first_seen / 3600.0) AS BIGINT)"
_ADD = ("INSERT INTO alert_hourly (severity, state, hour, n) VALUES (NEW.severity, NEW.state, {h}, 1) "
        "ON CONFLICT (severity, state, hour) DO UPDATE SET n = alert_hourly.n + 1")
_SUB = "UPDATE alert_hourly SET n = n - 1 WHERE severity = OLD.severity AND state = OLD.state AND hour = {h}"


def sqlite_triggers() -> list[str]:
    add, sub = _ADD.format(h=HOUR_SQLITE.format(t="NEW")), _SUB.format(h=HOUR_SQLITE.format(t="OLD"))
    return [
        f"CREATE TRIGGER alert_hourly_insert AFTER INSERT ON alerts BEGIN {add}; END",
        f"CREATE TRIGGER alert_hourly_delete AFTER DELETE ON alerts BEGIN {sub}; END",
        "CREATE TRIGGER alert_hourly_update AFTER UPDATE OF severity, state, first_seen ON alerts "
        "WHEN OLD.severity IS NOT NEW.severity OR OLD.state IS NOT NEW.state OR OLD.first_seen IS NOT NEW.first_seen "
        f"BEGIN {sub}; {add}; END",
    ]


def postgres_triggers() -> list[str]:
    add, sub = _ADD.format(h=HOUR_POSTGRES.format(t="NEW")), _SUB.format(h=HOUR_POSTGRES.format(t="OLD"))
    return [
        "CREATE FUNCTION alert_hourly_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {sub}; END IF; "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {add}; END IF; RETURN NULL; END $$",
        "CREATE TRIGGER alert_hourly_insert_delete AFTER INSERT OR DELETE ON alerts FOR EACH ROW "
        "EXECUTE FUNCTION alert_hourly_keep()",
        "CREATE TRIGGER alert_hourly_update AFTER UPDATE OF severity, state, first_seen ON alerts FOR EACH ROW "
        "WHEN (OLD.severity IS DISTINCT FROM NEW.severity OR OLD.state IS DISTINCT FROM NEW.state "
        "OR OLD.first_seen IS DISTINCT FROM NEW.first_seen) EXECUTE FUNCTION alert_hourly_keep()",
    ]


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for t in ("alert_hourly_insert", "alert_hourly_delete", "alert_hourly_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {t}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS alert_hourly_insert_delete ON alerts")
        op.execute("DROP TRIGGER IF EXISTS alert_hourly_update ON alerts")
        op.execute("DROP FUNCTION IF EXISTS alert_hourly_keep()")
    op.drop_table("alert_hourly")
    op.drop_index("ix_communications_flows", table_name="communications")
    for name in ("ix_alerts_updated_at", "ix_alerts_dst_state", "ix_alerts_src_state", "ix_alerts_state_last_seen",
                 "ix_alerts_last_seen", "ix_alerts_state_severity_last_seen"):
        op.drop_index(name, table_name="alerts")
    op.drop_table("settings")
    op.drop_table("capture_jobs")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")

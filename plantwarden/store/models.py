"""SQLAlchemy 2 models of the store. The schema itself is created by the Alembic migrations in
``plantwarden/store/migrations``; these classes must match the latest revision (a test checks it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CaptureRow(Base):
    """One analysed capture file, identified by the SHA-256 of its content."""

    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("sha256", name="uq_captures_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    packets: Mapped[int] = mapped_column(BigInteger)
    first_ts: Mapped[float | None] = mapped_column(Double, nullable=True)
    last_ts: Mapped[float | None] = mapped_column(Double, nullable=True)
    analyzed_at: Mapped[float] = mapped_column(Double)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)


class AssetRow(Base):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("ip", name="uq_assets_ip"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(32), nullable=True)
    vendor: Mapped[str | None] = mapped_column(Text, nullable=True)
    role: Mapped[str] = mapped_column(String(32))
    purdue_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_seen: Mapped[float] = mapped_column(Double)
    last_seen: Mapped[float] = mapped_column(Double)
    serves: Mapped[int] = mapped_column(BigInteger, default=0)
    reads: Mapped[int] = mapped_column(BigInteger, default=0)
    writes: Mapped[int] = mapped_column(BigInteger, default=0)
    programs: Mapped[int] = mapped_column(BigInteger, default=0)
    identifies: Mapped[int] = mapped_column(BigInteger, default=0)
    macs: Mapped[dict[str, int]] = mapped_column(JSON)  # MAC -> flows seen with it
    protocols: Mapped[list[str]] = mapped_column(JSON)


class FactRow(Base):
    """One identity fact about an asset, with its first source."""

    __tablename__ = "asset_facts"
    __table_args__ = (UniqueConstraint("asset_id", "name", "value", "protocol", name="uq_asset_facts_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(512))
    protocol: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Double)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    frame: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(128))
    first_seen: Mapped[float] = mapped_column(Double)
    last_seen: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(BigInteger)


class CommunicationRow(Base):
    __tablename__ = "communications"
    __table_args__ = (UniqueConstraint("client", "server", "protocol", name="uq_communications_key"),
                      Index("ix_communications_flows", "flows"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    server: Mapped[str] = mapped_column(String(64), index=True)
    protocol: Mapped[str] = mapped_column(String(64))
    transport: Mapped[str] = mapped_column(String(8))
    server_ports: Mapped[list[int]] = mapped_column(JSON)
    flows: Mapped[int] = mapped_column(BigInteger)
    client_packets: Mapped[int] = mapped_column(BigInteger)
    server_packets: Mapped[int] = mapped_column(BigInteger)
    client_bytes: Mapped[int] = mapped_column(BigInteger)
    server_bytes: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[float] = mapped_column(Double)
    last_seen: Mapped[float] = mapped_column(Double)


class FunctionRow(Base):
    """Function code counts of one communication."""

    __tablename__ = "communication_functions"
    __table_args__ = (UniqueConstraint("communication_id", "code", name="uq_communication_functions_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    communication_id: Mapped[int] = mapped_column(ForeignKey("communications.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    requests: Mapped[int] = mapped_column(BigInteger)
    responses: Mapped[int] = mapped_column(BigInteger)
    exceptions: Mapped[int] = mapped_column(BigInteger)
    #: activity -> requests (null in rows stored before revision 0007)
    activities: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)


class SecurityRow(Base):
    """One security fact of one communication and how many events showed it (docs/inventory.md)."""

    __tablename__ = "communication_security"
    __table_args__ = (UniqueConstraint("communication_id", "name", "value", name="uq_communication_security_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    communication_id: Mapped[int] = mapped_column(ForeignKey("communications.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256))
    count: Mapped[int] = mapped_column(BigInteger)


class WeirdRow(Base):
    """How often a weird happened in one capture (protocol "" for sensor-level weirds)."""

    __tablename__ = "weird_counts"
    __table_args__ = (UniqueConstraint("capture_id", "name", "protocol", name="uq_weird_counts_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    protocol: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)


class AlertRow(Base):
    """One alert: the occurrences of one finding (detection, key) close in traffic time, across captures."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_detection_key", "detection", "key"),
                      Index("ix_alerts_state_severity_last_seen", "state", "severity", "last_seen"),
                      Index("ix_alerts_last_seen", "last_seen"),
                      Index("ix_alerts_state_last_seen", "state", "last_seen"),
                      Index("ix_alerts_src_state", "src", "state"),
                      Index("ix_alerts_dst_state", "dst", "state"),
                      Index("ix_alerts_updated_at", "updated_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    detection: Mapped[str] = mapped_column(String(64))
    technique: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(512))
    src: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dst: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_seen: Mapped[float] = mapped_column(Double)  # traffic time
    last_seen: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), index=True)
    state_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    state_changed_at: Mapped[float | None] = mapped_column(Double, nullable=True)  # wall time
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))  # the capture that raised it first
    created_at: Mapped[float] = mapped_column(Double)  # wall time of the analysis that stored it
    updated_at: Mapped[float] = mapped_column(Double)  # wall time of the last merge or state change


class AlertStateRow(Base):
    """One state change of an alert, in the order they were made."""

    __tablename__ = "alert_state_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[float] = mapped_column(Double)


class IndicatorRow(Base):
    """One indicator of compromise (docs/iocs.md); unique per (source, kind, value)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("source", "kind", "value", name="uq_indicators_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(2000))  # normalised (plantwarden.iocs.model.normalize)
    source: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    stix_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    valid_from: Mapped[float | None] = mapped_column(Double, nullable=True)  # epoch seconds
    valid_until: Mapped[float | None] = mapped_column(Double, nullable=True)  # exclusive
    created_at: Mapped[float] = mapped_column(Double)  # wall time of the import that added it
    updated_at: Mapped[float] = mapped_column(Double)  # wall time of the last import that changed it


class BaselinePairRow(Base):
    """One allowed (client, server, protocol) pair of the learned baseline (docs/baselines.md)."""

    __tablename__ = "baseline_pairs"
    __table_args__ = (UniqueConstraint("client", "server", "protocol", name="uq_baseline_pairs_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    server: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[float] = mapped_column(Double)  # traffic time
    last_seen: Mapped[float] = mapped_column(Double)
    requests: Mapped[int] = mapped_column(BigInteger)
    functions: Mapped[dict[str, int]] = mapped_column(JSON)  # function -> requests
    writes: Mapped[dict[str, list[list[int]]]] = mapped_column(JSON)  # space -> [[low, high], ...]
    updated_at: Mapped[float] = mapped_column(Double)  # wall time


class BaselineValueRow(Base):
    """The learned value range of one Modbus holding register."""

    __tablename__ = "baseline_values"
    __table_args__ = (UniqueConstraint("server", "unit", "register", name="uq_baseline_values_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    unit: Mapped[int] = mapped_column(Integer)
    register: Mapped[int] = mapped_column(Integer)
    low: Mapped[float] = mapped_column(Double)
    high: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[float] = mapped_column(Double)
    last_seen: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class ChangeWindowRow(Base):
    """A declared change window (docs/change-windows.md)."""

    __tablename__ = "change_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[float] = mapped_column(Double)  # epoch seconds (traffic time)
    end: Mapped[float] = mapped_column(Double)
    assets: Mapped[list[str]] = mapped_column(JSON)
    hosts: Mapped[list[str]] = mapped_column(JSON)
    person: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)  # wall time


class AssetTagRow(Base):
    """One label the user put on an address (IP address or MAC, normalised); docs/tags.md."""

    __tablename__ = "asset_tags"
    __table_args__ = (UniqueConstraint("tag", "address", name="uq_asset_tags_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)


class AuditHeadRow(Base):
    """The head of the audit chain: one row (id 1), updated first by every append (docs/audit.md)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntryRow(Base):
    """One audit entry, hash-chained to the one before (docs/audit.md)."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("seq", name="uq_audit_entries_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[float] = mapped_column(Double)
    actor: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(Text)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    """An Ed25519 signature over (sequence number, hash, time) of one audit entry."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Double)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class UserRow(Base):
    """An account (docs/accounts.md); the password only as its argon2id hash."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username", name="uq_users_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class ApiTokenRow(Base):
    """An API token of a user, kept as the SHA-256 of its secret."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_tokens_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    last_used: Mapped[float | None] = mapped_column(Double, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean)


class WebSessionRow(Base):
    """A login session of the web service (docs/web.md), kept as the SHA-256 of its cookie."""

    __tablename__ = "web_sessions"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_web_sessions_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    last_seen: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)


class CaptureJobRow(Base):
    """A capture uploaded to the web service and its analysis in the background."""

    __tablename__ = "capture_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    done: Mapped[int] = mapped_column(BigInteger)  # bytes read so far
    state: Mapped[str] = mapped_column(String(16))  # queued, running, done, failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class SettingRow(Base):
    """One setting of the service (docs/web.md, "Settings")."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[float] = mapped_column(Double)
    updated_by: Mapped[str] = mapped_column(String(128))


class AlertHourlyRow(Base):
    """How many alerts were first seen in each hour, per severity and state: kept by database triggers
    on ``alerts`` (Alembic 0010), read by the dashboard's overview and plots."""

    __tablename__ = "alert_hourly"

    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AdvisoryRow(Base):
    """A CSAF 2.0 advisory as imported (docs/vulns.md); the newest revision of each tracking id."""

    __tablename__ = "advisories"
    __table_args__ = (UniqueConstraint("tracking_id", name="uq_advisories_tracking_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text)
    current_release_date: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class FindingRow(Base):
    """An advisory's product matched to an asset (docs/vulns.md, "Findings")."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("asset_id", "advisory_id", "product_id", name="uq_findings_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(16))  # affected | unknown
    version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cves: Mapped[list[str]] = mapped_column(JSON)
    cvss_score: Mapped[float | None] = mapped_column(Double, nullable=True)
    cvss_vector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    remediations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    why: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, mitigated, accepted, fixed
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_until: Mapped[float | None] = mapped_column(Double, nullable=True)  # accepted risk expiry
    first_found: Mapped[float] = mapped_column(Double)
    last_found: Mapped[float] = mapped_column(Double)
    priority: Mapped[str] = mapped_column(String(8))  # now | next | never (plantwarden.vulns.priority)
    score: Mapped[float] = mapped_column(Double)  # CVSS adjusted by exposure and criticality
    exposure: Mapped[str] = mapped_column(String(16))
    criticality: Mapped[str] = mapped_column(String(8))
    kev: Mapped[bool] = mapped_column(Boolean)
    priority_why: Mapped[list[str]] = mapped_column(JSON)


class KnownExploitedRow(Base):
    """A CVE known to be exploited (a KEV-style list the user imports)."""

    __tablename__ = "known_exploited"

    cve: Mapped[str] = mapped_column(String(32), primary_key=True)
    vendor: Mapped[str | None] = mapped_column(Text, nullable=True)
    product: Mapped[str | None] = mapped_column(Text, nullable=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_added: Mapped[str | None] = mapped_column(String(32), nullable=True)
    due_date: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ransomware: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[float] = mapped_column(Double)


class SupplierRow(Base):
    """A supplier of the plant (docs/suppliers.md)."""

    __tablename__ = "suppliers"
    __table_args__ = (UniqueConstraint("name", name="uq_suppliers_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_hosts: Mapped[list[str]] = mapped_column(JSON)  # addresses or networks its staff connect from
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class QuestionnaireRow(Base):
    __tablename__ = "questionnaires"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[float] = mapped_column(Double)


class SupplierAssessmentRow(Base):
    __tablename__ = "supplier_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    questionnaire: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Double)
    risk: Mapped[str] = mapped_column(String(8))
    assessor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assessed_at: Mapped[float] = mapped_column(Double)
    next_review: Mapped[float] = mapped_column(Double)


class SupplierClauseRow(Base):
    """A security clause of a supplier's contract, with its due date."""

    __tablename__ = "supplier_clauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    clause: Mapped[str] = mapped_column(Text)
    due: Mapped[float] = mapped_column(Double)
    done_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)


class AssetEntryRow(Base):
    """What the user entered about an asset's identity (docs/vulns.md, "Entered assets")."""

    __tablename__ = "asset_entries"

    ip: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor: Mapped[str | None] = mapped_column(Text, nullable=True)
    model: Mapped[str | None] = mapped_column(Text, nullable=True)
    firmware: Mapped[str | None] = mapped_column(String(200), nullable=True)
    serial: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[float] = mapped_column(Double)


class SbomRow(Base):
    """An imported SBOM (docs/vulns.md, "SBOM, VEX and OSV"), of an asset or a product."""

    __tablename__ = "sboms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))  # cyclonedx-json | cyclonedx-xml | spdx-json | spdx-tag-value
    spec: Mapped[str] = mapped_column(String(16))  # 1.4 | 1.5 | 1.6 | 2.3
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[str | None] = mapped_column(Text, nullable=True)
    supplier: Mapped[str | None] = mapped_column(Text, nullable=True)
    asset_ip: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    product: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_at: Mapped[float] = mapped_column(Double)
    imported_by: Mapped[str] = mapped_column(String(200))


class SbomComponentRow(Base):
    """One component of an SBOM; ``subject`` marks what the SBOM describes."""

    __tablename__ = "sbom_components"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sbom_id: Mapped[int] = mapped_column(ForeignKey("sboms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    subject: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text, nullable=True)
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)
    cpe: Mapped[str | None] = mapped_column(Text, nullable=True)
    type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    supplier: Mapped[str | None] = mapped_column(Text, nullable=True)
    group: Mapped[str | None] = mapped_column(Text, nullable=True)
    bom_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    hashes: Mapped[list[list[str]]] = mapped_column(JSON)
    licenses: Mapped[list[str]] = mapped_column(JSON)
    spdx_licenses: Mapped[list[str]] = mapped_column(JSON)


class OsvAdvisoryRow(Base):
    """An OSV record as imported; the newest (by ``modified``) of each id."""

    __tablename__ = "osv_advisories"
    __table_args__ = (UniqueConstraint("osv_id", name="uq_osv_advisories_osv_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    osv_id: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    withdrawn: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class ComponentFindingRow(Base):
    """An OSV record that affects an SBOM component, with its state (open, affected,
    under_investigation, not_affected, fixed) and the reason for it."""

    __tablename__ = "component_findings"
    __table_args__ = (UniqueConstraint("component_id", "advisory_id", name="uq_component_findings_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("sbom_components.id", ondelete="CASCADE"), index=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("osv_advisories.id", ondelete="CASCADE"), index=True)
    cves: Mapped[list[str]] = mapped_column(JSON)
    why: Mapped[str] = mapped_column(Text)
    fixed_in: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    justification: Mapped[str | None] = mapped_column(String(200), nullable=True)
    vex_document: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_found: Mapped[float] = mapped_column(Double)
    last_found: Mapped[float] = mapped_column(Double)


class VexDocumentRow(Base):
    """An imported VEX document and its statements (applied again to later findings)."""

    __tablename__ = "vex_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str | None] = mapped_column(Text, nullable=True)  # CSAF tracking id, CycloneDX serial
    format: Mapped[str] = mapped_column(String(16))  # cyclonedx | csaf
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    statements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    imported_at: Mapped[float] = mapped_column(Double)
    imported_by: Mapped[str] = mapped_column(String(200))


class ProcessModelRow(Base):
    """A process model (plantwarden.ml.process) kept in the store; the active one judges new captures."""

    __tablename__ = "process_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    points: Mapped[list[str]] = mapped_column(JSON)
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # the model file (npz, no pickle)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[float] = mapped_column(Double)
    created_by: Mapped[str] = mapped_column(String(200))

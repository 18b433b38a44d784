"""Tables of the store (SQLAlchemy Core).

Constraint names follow one naming convention so Alembic migrations are stable on
SQLite (batch mode) and PostgreSQL. A test compares these tables with the migrations.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

Json = JSON().with_variant(JSONB(), "postgresql")
Id64 = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrement needs INTEGER PRIMARY KEY

catalog_versions = Table(
    "catalog_versions",
    metadata,
    Column("version", String(64), primary_key=True, comment="SHA-256 of the canonical catalog files"),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("loaded_by", String(200), nullable=False),
)

catalog_items = Table(
    "catalog_items",
    metadata,
    Column("version", ForeignKey("catalog_versions.version"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("disclosure", String(16), nullable=False),
    Column("sharing_scope", String(16), nullable=False),
    Column("definition", Json, nullable=False, comment="the item as loaded, legal basis included"),
)

source_units = Table(
    "source_units",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("domain", String(64), nullable=False),
    Column("items", Json, nullable=False, comment="catalog item codes this unit may supply"),
    Column("api_key_hash", String(200), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

subjects = Table(
    "subjects",
    metadata,
    Column("id", String(24), primary_key=True, comment="stable id derived from the primary identifier"),
    Column("kind", String(32), nullable=False),
    Column("id_scheme", String(32), nullable=False, comment="uscc, resident_id, passport …"),
    Column("id_value", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column(
        "name_search",
        Text,
        nullable=False,
        server_default="",
        comment="the name normalised for search (xinyong.search.normalise_name)",
    ),
    Column("legal_representative", String(100), nullable=True),
    Column("registered_on", Date, nullable=True),
    Column("region", String(6), nullable=True),
    Column("is_individual_business", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("id_scheme", "id_value", name="uq_subjects_id_scheme_id_value"),
)
Index("ix_subjects_name", subjects.c.name)

subject_identifiers = Table(
    "subject_identifiers",
    metadata,
    Column("scheme", String(32), primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id"), nullable=False, index=True),
    Column("source", String(100), nullable=False, comment="how the mapping was learned"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

Index("ix_subject_identifiers_value", subject_identifiers.c.value)  # lookups by code alone

subject_names = Table(
    "subject_names",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("subject_id", ForeignKey("subjects.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("source", String(100), nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("unit_code", ForeignKey("source_units.code"), nullable=True),
    Column("kind", String(100), nullable=False, comment="registry, records:<item> …"),
    Column("source_name", String(500), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(24), nullable=False),
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_accepted", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("report", Json, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("actor", String(200), nullable=False),
)

records = Table(
    "records",
    metadata,
    Column(
        "id", String(64), primary_key=True, comment="SHA-256 of item, subject, unit and normalised fields"
    ),
    Column("item_code", String(64), nullable=False),
    # catalog_version, unit_code and batch_id: the same for a whole batch, checked once per batch by
    # ingestion (records.check_batch_keys), not per row by foreign keys (migration 0010)
    Column("catalog_version", String(64), nullable=False),
    Column("subject_id", ForeignKey("subjects.id"), nullable=False),
    Column("unit_code", String(64), nullable=False),
    Column("document_number", String(100), nullable=True),
    Column("decision_date", Date, nullable=True),
    Column("tier", String(16), nullable=False),
    Column("fields", Json, nullable=False),
    Column("status", String(16), nullable=False, comment="current, superseded, revoked"),
    Column("supersedes", String(64), nullable=True),
    Column("batch_id", String(32), nullable=True),
    Column("source_row", Integer, nullable=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)
Index("ix_records_subject_id", records.c.subject_id)
Index("ix_records_unit_code_document_number", records.c.unit_code, records.c.document_number)

events = Table(
    "events",
    metadata,
    Column("seq", Id64, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("action", String(100), nullable=False, comment="object:verb, e.g. catalog:load, batch:accept"),
    Column("actor_role", String(32), nullable=False),
    Column("actor_user", String(200), nullable=False),
    Column("actor_unit", String(64), nullable=False),
    Column("purpose", String(32), nullable=True),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(100), nullable=False),
    Column("subject_id", String(24), nullable=True, index=True),
    Column("document_number", String(100), nullable=True),
    Column("payload", Json, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column(
        "payload_salt",
        String(32),
        nullable=True,
        comment="hex of 16 random bytes: payload_hash = SHA-256(salt || payload); erased with it",
    ),
)
Index("ix_events_object", events.c.object_type, events.c.object_id)

# The tamper-evident audit log over ``events`` (xinyong.audit.log): an RFC 6962 Merkle tree whose
# leaves are the events' non-personal envelopes. Appended in the transaction of the event, never edited.

audit_leaves = Table(
    "audit_leaves",
    metadata,
    Column("leaf_index", Id64, primary_key=True, autoincrement=False, comment="position in the tree, from 0"),
    Column("seq", BigInteger, nullable=False, unique=True, comment="events.seq of the entry"),
    Column("leaf_hash", LargeBinary, nullable=False, comment="SHA-256(0x00 || envelope bytes)"),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column(
        "level", Integer, primary_key=True, autoincrement=False, comment="height, >= 1 (leaves: audit_leaves)"
    ),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "hash", LargeBinary, nullable=False, comment="root of leaves [idx * 2**level, (idx + 1) * 2**level)"
    ),
    sqlite_with_rowid=False,  # the key is the address: one B-tree, not a rowid table plus an index
)

audit_state = Table(
    "audit_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="always 1: one row"),
    Column("size", BigInteger, nullable=False, comment="number of leaves"),
    Column("frontier", Text, nullable=False, comment="JSON list of the perfect subtree roots, tallest first"),
)

audit_tree_heads = Table(
    "audit_tree_heads",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", LargeBinary, nullable=False, comment="Ed25519 over xinyong-tree-head/v1 bytes"),
)
Index("ix_audit_tree_heads_size", audit_tree_heads.c.size)

# Credit reports (信用报告, xinyong.services.reports): one row per issued report, never edited. The row
# keeps what verification needs (signed digests, key id, each item's fingerprint) and the signed PDF.

reports = Table(
    "reports",
    metadata,
    Column("number", String(32), primary_key=True, comment="report number printed on the report"),
    Column("subject_id", ForeignKey("subjects.id"), nullable=False, index=True),
    Column("subject_kind", String(32), nullable=False),
    Column("purpose", String(32), nullable=False, comment="declared purpose (查询用途)"),
    Column("lang", String(8), nullable=False),
    Column("requester_role", String(32), nullable=False),
    Column("requester_user", String(200), nullable=False),
    Column("requester_unit", String(64), nullable=False),
    Column("requester_subject_id", String(24), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column(
        "issued_month", String(7), nullable=False, index=True, comment="YYYY-MM (China time), for statistics"
    ),
    Column("as_of", Date, nullable=False, comment="the day the disclosure rules were applied"),
    Column("key_id", String(16), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False, comment="SHA-256 of the PDF before the signature block"),
    Column("signature", LargeBinary, nullable=False, comment="Ed25519 over xinyong-report/v1 bytes"),
    Column("items", Json, nullable=False, comment="[[ref, fingerprint], …] of every item in the report"),
    Column("pdf", LargeBinary, nullable=False, comment="the signed PDF as issued"),
)


# Access control (xinyong.services.accounts, authorizations, querylog): accounts, their API keys and
# portal sessions, the subjects' authorizations of third parties (授权) and the query log (查询记录).

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False, comment="argon2id (argon2-cffi)"),
    Column("role", String(32), nullable=False, comment="current role; grants are events (user:role_granted)"),
    Column("unit", String(64), nullable=False, default="", comment="source unit or relying party code"),
    Column("subject_id", String(24), nullable=True, comment="for a data subject: the verified subject"),
    Column("purposes", Json, nullable=True, comment="a relying party's declared purposes (查询用途)"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(16), primary_key=True, comment="the key's public part, shown in listings"),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, comment="SHA-256 of the whole key (256 random bits)"),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True, comment="SHA-256 of the session cookie"),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

authorizations = Table(
    "authorizations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id"), nullable=False, index=True),
    Column("grantee", String(64), nullable=False, comment="the third party's code (Actor.unit)"),
    Column("purpose", String(32), nullable=False),
    Column("scope", Json, nullable=False, comment='catalog item codes, or ["*"]'),
    Column("valid_from", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("proof", String(500), nullable=False, comment="where the consent is documented"),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(200), nullable=True),
)
Index("ix_authorizations_grantee_subject_id", authorizations.c.grantee, authorizations.c.subject_id)

query_log = Table(
    "query_log",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False, comment="profile, record, report, screening, export"),
    Column("subject_id", String(24), nullable=False, index=True),
    Column("object_id", String(100), nullable=False, default=""),
    Column("querier_role", String(32), nullable=False),
    Column("querier_user", String(200), nullable=False),
    Column("querier_unit", String(64), nullable=False),
    Column("purpose", String(32), nullable=True),
    Column("authorization_id", String(32), nullable=True),
    Column("authorizer", String(200), nullable=True, comment="who granted the authorization"),
    Column("proof", String(500), nullable=True),
    Column("event_seq", BigInteger, nullable=False, comment="events.seq of the query's audit event"),
    Column("retain_until", Date, nullable=False, comment="kept at least five years"),
)


# Remedies (issue 6): objections (异议) and credit repair (信用修复). Append-only: a case row is
# written once; its life is the sequence of its steps; files are kept by SHA-256; marks are set and
# lifted by new rows (xinyong.services.remedy_store).

remedy_cases = Table(
    "remedy_cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False, comment="objection (异议) or repair (信用修复)"),
    Column("target_kind", String(16), nullable=False, comment="record or list_entry"),
    Column("target_id", String(64), nullable=False),
    Column("subject_id", String(24), nullable=False, index=True),
    Column("unit_code", String(64), nullable=False, comment="the source unit that decides"),
    Column("basis", String(64), nullable=False, comment="objection grounds or repair regime"),
    Column("statement", Text, nullable=False),
    Column("opened_on", Date, nullable=False, comment="business day the case was accepted"),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("detail", Json, nullable=False, comment="eligibility or grounds as explained at filing"),
)
Index("ix_remedy_cases_target", remedy_cases.c.target_kind, remedy_cases.c.target_id)

remedy_steps = Table(
    "remedy_steps",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("remedy_cases.id"), nullable=False, index=True),
    Column("step", String(32), nullable=False, comment="accept, verify, forward, extend, decide …"),
    Column("state", String(24), nullable=False, comment="the case's state after this step"),
    Column("outcome", String(32), nullable=True),
    Column("on_date", Date, nullable=False, comment="business day of the step"),
    Column("due_on", Date, nullable=True, comment="deadline of the next step; null with due_unknown"),
    Column("due_unknown", Integer, nullable=True, comment="year without an official schedule"),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("document_number", String(100), nullable=True),
    Column("reason", Text, nullable=False),
    Column("event_seq", BigInteger, nullable=True, comment="events.seq of the audit event"),
)

remedy_files = Table(
    "remedy_files",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("remedy_cases.id"), nullable=False, index=True),
    Column("step_id", BigInteger, nullable=True),
    Column("role", String(24), nullable=False, comment="evidence, proof, commitment, decision"),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False, comment="the file is stored under its hash"),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

remedy_marks = Table(
    "remedy_marks",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("target_kind", String(16), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("mark", String(32), nullable=False, comment="under_review (行政复议或者诉讼中)"),
    Column("active", Boolean, nullable=False, comment="true sets the mark, false lifts it"),
    Column("on_date", Date, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("document_number", String(100), nullable=True),
    Column("reason", Text, nullable=False),
)
Index("ix_remedy_marks_target", remedy_marks.c.target_kind, remedy_marks.c.target_id)

remedy_notices = Table(
    "remedy_notices",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("remedy_cases.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False, comment="reminder, overdue, outcome, deadline_unknown"),
    Column("recipient", String(100), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


# Untrustworthy lists (名单), due process, relying parties and screening (xinyong.services.lists,
# xinyong.services.screening). Measures have no table: they are computed from current entries.

list_entries = Table(
    "list_entries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("list_type", String(64), nullable=False, comment="catalog list type code"),
    Column("subject_id", ForeignKey("subjects.id"), nullable=True, comment="registry subject, when known"),
    Column("id_scheme", String(32), nullable=False, comment="uscc, resident_id …"),
    Column("id_value", String(64), nullable=False, comment="the identifier screenings look up"),
    Column("subject_kind", String(32), nullable=False),
    Column("subject_name", String(200), nullable=False),
    Column("unit_code", ForeignKey("source_units.code"), nullable=False, comment="deciding unit"),
    Column("ground", String(64), nullable=False, comment="inclusion ground code of the list type"),
    Column(
        "state", String(16), nullable=False, comment="proposed notified decided published removed withdrawn"
    ),
    Column("basis_document", String(100), nullable=False, comment="the legally effective document"),
    Column("facts", Text, nullable=False),
    Column("decision_document", String(100), nullable=True),
    Column("notified_on", Date, nullable=True),
    Column("defence_until", Date, nullable=True, comment="last day of the statement-and-defence window"),
    Column("statements", Integer, nullable=False, default=0),
    Column("decided_on", Date, nullable=True),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True, comment="last day in force; NULL = no fixed period"),
    Column("extensions", Integer, nullable=False, default=0),
    Column("removal_trigger_on", Date, nullable=True, comment="day the removal condition occurred"),
    Column("removal_due", Date, nullable=True, comment="removal deadline in working days; NULL = unknown"),
    Column("removed_on", Date, nullable=True),
    Column("removal_reason", String(64), nullable=True),
    Column("source", String(16), nullable=False, comment="workflow or court_import"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
# Screening looks entries up by identifier: the index has three equality columns so that SQLite's
# planner (the platform runs no ANALYZE) prefers it to the list-page index, then every other column
# a screening reads, so that its lookups read no table row (migration 0013).
Index(
    "ix_list_entries_screening",
    list_entries.c.id_value,
    list_entries.c.state,
    list_entries.c.list_type,
    list_entries.c.subject_kind,
    list_entries.c.starts_on,
    list_entries.c.ends_on,
    list_entries.c.id,
    list_entries.c.decision_document,
    list_entries.c.unit_code,
)
Index("ix_list_entries_state_ends_on", list_entries.c.state, list_entries.c.ends_on)
Index("ix_list_entries_list_type_starts_on", list_entries.c.list_type, list_entries.c.starts_on)
Index("ix_list_entries_subject_id", list_entries.c.subject_id)
Index(
    "ix_list_entries_unit_code_decision_document", list_entries.c.unit_code, list_entries.c.decision_document
)

list_transitions = Table(
    "list_transitions",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("entry_id", ForeignKey("list_entries.id"), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=False),
    Column("effective_on", Date, nullable=False, comment="the platform day of the step"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("document", String(100), nullable=True),
    Column("details", Json, nullable=False),
)

# Persons a unit's listing binds under its measures' legal basis (e.g. the legal representative and
# actual controller of a unit on the court list, 法释〔2015〕17号 art. 3), named in the decision.
list_entry_persons = Table(
    "list_entry_persons",
    metadata,
    Column("entry_id", ForeignKey("list_entries.id"), primary_key=True),
    Column("role", String(32), primary_key=True, comment="legal_representative, actual_controller …"),
    Column("id_value", String(64), primary_key=True, comment="the person's resident ID number"),
    Column("name", String(100), nullable=False),
)
Index("ix_list_entry_persons_id_value", list_entry_persons.c.id_value)

relying_parties = Table(
    "relying_parties",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("purposes", Json, nullable=False, comment="screening purposes it declared"),
    Column("api_key_hash", String(64), nullable=True, unique=True, comment="SHA-256 of the key"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

screenings = Table(
    "screenings",
    metadata,
    Column("id", Id64, primary_key=True, autoincrement=True),
    Column("party_code", ForeignKey("relying_parties.code"), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),
    Column("measure", String(64), nullable=False),
    Column("screened_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("mode", String(8), nullable=False, comment="single or bulk"),
    Column("total", Integer, nullable=False),
    Column("restricted", Integer, nullable=False),
    Column("identifiers", LargeBinary, nullable=False, comment="zlib: screened identifiers, one a line"),
    Column("results", LargeBinary, nullable=False, comment="zlib: each line's restricting entry id or ''"),
)

calendar_schedules = Table(
    "calendar_schedules",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("source", String(200), nullable=False, comment="the State Council notice"),
    Column("holidays", Json, nullable=False),
    Column("workdays", Json, nullable=False, comment="adjusted weekend workdays (调休)"),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("loaded_by", String(200), nullable=False),
)

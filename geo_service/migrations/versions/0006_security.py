"""row-level security, sessions, login throttling, append-only audit

Creates the application's database role ``geo_app`` (LOGIN, no superuser, no BYPASSRLS;
it owns nothing), grants it SELECT on every table, puts a row-level security policy on
every area table (see ``geo_service.rls``), and adds the login-session, login-attempt and
audit tables. The audit log is append-only: ``geo_app`` may INSERT and SELECT, and a
trigger refuses UPDATE, DELETE and TRUNCATE for everyone.

The role is cluster-wide and other databases may use it: downgrade revokes its rights in
this database but does not drop it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geo_service import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP = rls.APP_ROLE


def upgrade() -> None:
    op.execute(
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP}') THEN
                CREATE ROLE {APP} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$"""
    )
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_ip", sa.String(length=45), nullable=True),
        sa.CheckConstraint("session_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_login_session_session_hash_format")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_login_session_account_id_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_login_session_session_hash")),
    )  # fmt: skip
    op.create_index(op.f("ix_login_session_account_id"), "login_session", ["account_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client_ip", sa.String(length=45), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )  # fmt: skip
    op.create_index(op.f("ix_login_attempt_username_at"), "login_attempt", ["username", "at"])
    op.create_index(op.f("ix_login_attempt_client_ip_at"), "login_attempt", ["client_ip", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=24), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("client_ip", sa.String(length=45), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint("outcome IN ('ok', 'denied', 'failed', 'locked')", name=op.f("ck_audit_log_outcome_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )  # fmt: skip
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.execute(
        """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                   USING ERRCODE = 'insufficient_privilege';
           END $$;
           CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
               FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
           CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
               FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();"""
    )

    op.execute(rls.FUNCTIONS)
    op.execute("REVOKE ALL ON FUNCTION geo_scope_expand(text, text[], text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION geo_scope_expand(text, text[], text) TO {APP}")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP}")
    conn = op.get_bind()
    for table, (columns, nullable) in rls.area_tables(conn).items():
        for stmt in rls.enable_statements(table, columns, nullable):
            op.execute(stmt)
    op.execute(
        f"""GRANT SELECT ON spatial_ref_sys, alembic_version TO {APP};
            GRANT SELECT ON account, api_token TO {APP};
            GRANT UPDATE (last_used_at) ON api_token TO {APP};
            GRANT SELECT, INSERT ON login_session TO {APP};
            GRANT UPDATE (last_seen_at, ended_at) ON login_session TO {APP};
            GRANT SELECT, INSERT ON login_attempt, audit_log TO {APP};
            -- an administrator's boundary upload (POST /api/boundaries/import)
            GRANT INSERT, UPDATE (valid_to) ON compound_boundary TO {APP};
            GRANT UPDATE (geom) ON compound TO {APP};"""
    )


def downgrade() -> None:
    conn = op.get_bind()
    for table in rls.area_tables(conn):
        for stmt in rls.disable_statements(table):
            op.execute(stmt)
    op.execute(
        f"""REVOKE ALL ON spatial_ref_sys, alembic_version, account, api_token FROM {APP};
            REVOKE ALL ON SCHEMA public FROM {APP};"""
    )
    op.execute(rls.DROP_FUNCTIONS)
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_index(op.f("ix_login_attempt_client_ip_at"), table_name="login_attempt")
    op.drop_index(op.f("ix_login_attempt_username_at"), table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_index(op.f("ix_login_session_account_id"), table_name="login_session")
    op.drop_table("login_session")

"""row-level security, sessions, audit

issue 7: application database role, RLS policies on area/personal tables, login throttling, append-only audit. (Skeleton: filled in by the work on that issue.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

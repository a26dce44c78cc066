"""compound boundary history and boundary-check problems

issue 3: boundary versions (history, never overwritten) and the latest topology report. (Skeleton: filled in by the work on that issue.)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

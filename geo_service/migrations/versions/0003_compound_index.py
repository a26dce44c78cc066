"""compound index (三方强基指数) and early warning

issue 8: indicator inputs, quarterly index scores, early-warning results. (Skeleton: filled in by the work on that issue.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""resident record import and address matching

issue 3: department resident records matched to households, import batches, ownership changes. (Skeleton: filled in by the work on that issue.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

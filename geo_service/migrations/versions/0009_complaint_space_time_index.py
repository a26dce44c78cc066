"""complaints indexed on place and time together (GiST on geom, created_at)

A complaint tile shows the last 90 days (by default) inside the tile. With only the
GiST index on ``geom``, the query fetched every complaint ever made inside the tile and
then dropped the old ones: ten times the rows it kept, scattered over the heap, so the
pages read per tile grew with the table (15 ms a tile at district scale, more at city
scale). One GiST index on ``(geom, created_at)`` -- ``btree_gist`` supplies the
timestamp's GiST operator class -- answers both conditions in one index scan, and the
heap is visited only for the rows drawn: the cost follows the tile, not the history.
``btree_gist`` ships with PostgreSQL and is a trusted extension (the database owner may
create it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE INDEX ix_complaint_geom_created ON complaint USING gist (geom, created_at)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_complaint_geom_created")

"""spatial indexes under row-level security: the && operator is LEAKPROOF

Under row-level security PostgreSQL evaluates a query's own conditions only after the
policy's, unless their functions are LEAKPROOF (cannot reveal a row's values through an
error or side effect). PostGIS does not mark ``geometry_overlaps`` -- the function behind
``geom && box`` -- so every viewport query of the application role (vector tiles, heat
grids, OGC bbox filters) scanned the whole table instead of its GiST index: a city-scale
tile took 100 ms instead of 6, and the map's cost followed the data instead of the view.

``geometry_overlaps`` compares two bounding boxes and returns a boolean; it raises no
error for any pair of geometries (not even for mixed SRIDs or empty ones, on PostGIS
3.3), so no row value can surface through it. Marking a function LEAKPROOF needs a superuser:
the embedded cluster's owner is one. Against another database the migration warns and
goes on (the map still works, only slower) -- a superuser can run the statement below
later. ``ALTER EXTENSION postgis UPDATE`` may recreate the function without the mark:
run ``geo-service db upgrade`` again, or the statement, after one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FUNCTION = "geometry_overlaps(geometry, geometry)"


def _alter(mark: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
          IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            ALTER FUNCTION {FUNCTION} {mark};
          ELSE
            RAISE WARNING 'not a superuser: run "ALTER FUNCTION {FUNCTION} {mark}" as one, '
                          'or spatial indexes are not used under row-level security';
          END IF;
        END $$;
        """
    )


def upgrade() -> None:
    _alter("LEAKPROOF")


def downgrade() -> None:
    _alter("NOT LEAKPROOF")

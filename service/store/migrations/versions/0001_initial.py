"""The catalog's Yardstick tables as release 0.1 created them: commit log, API keys, idempotency records.

A catalog made before migrations existed (``create_all``) already has these tables: it is stamped with this
revision, not created again (``service/store/upgrade.py``).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "yardstick_snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("committed_at", sa.String(40), nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("pins", sa.Text, nullable=False),
    )
    op.create_table(
        "yardstick_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("revoked", sa.String(40), nullable=True),
    )
    op.create_table(
        "yardstick_idempotency",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for name in ("yardstick_idempotency", "yardstick_keys", "yardstick_snapshots"):
        op.drop_table(name)

"""mail through the task queue: mail_delivery (one row per mail, a unique key, pending/sent/failed) replaces
outgoing_mail; the jobs still waiting in outgoing_mail are carried over

Revision ID: 0014
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=191), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=True),
        sa.Column('message', sa.LargeBinary(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_delivery')),
        sa.UniqueConstraint('key', name=op.f('uq_mail_delivery_key')),
    )
    with op.batch_alter_table('mail_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_delivery_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.execute(
        "INSERT INTO mail_delivery (key, kind, address, status, attempts, next_attempt_at, created_at) "
        "SELECT kind || '.carried-' || CAST(id AS VARCHAR(20)), kind, address, 'pending', 0, next_attempt_at, "
        "created_at FROM outgoing_mail"
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_next_attempt_at'))
    op.drop_table('outgoing_mail')


def downgrade():
    op.create_table(
        'outgoing_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mail_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.execute(
        "INSERT INTO outgoing_mail (kind, address, created_at, attempts, next_attempt_at) "
        "SELECT kind, address, created_at, 0, next_attempt_at FROM mail_delivery "
        "WHERE status = 'pending' AND kind <> 'message'"
    )
    with op.batch_alter_table('mail_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_delivery_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_mail_delivery_status'))
    op.drop_table('mail_delivery')

"""cohort place in Arabic script: city_ar and venue_ar, printed on the Arabic half of certificates and pages

Revision ID: 0013
Revises: 0012

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city_ar', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('venue_ar', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('venue_ar')
        batch_op.drop_column('city_ar')

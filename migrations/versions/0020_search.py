"""search: the index (search_document) and the engine's structure (SQLite: the FTS5 table search_fts;
PostgreSQL: the column vector, to_tsvector('simple', normalized), and its GIN index)

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('normalized', sa.Text(), nullable=False),
    sa.Column('vector', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document'))
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        # external content: the text stays in search_document; the rebuild fills the index ('rebuild' command)
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(normalized, content='search_document', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
    elif dialect == 'postgresql':
        op.execute(
            "CREATE INDEX ix_search_document_fts ON search_document USING gin (vector)"
        )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('search_document')

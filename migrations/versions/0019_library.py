"""the library: legal instruments article by article, fictional case notes, the glossary, and where articles are
cited (all loaded from courses/_library by the content sync)

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('body_html', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('from_module', sa.String(length=200), nullable=True),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note')),
    sa.UniqueConstraint('slug', name=op.f('uq_case_note_slug'))
    )
    op.create_table('glossary_term',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('term', sa.JSON(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('source_ref', sa.String(length=120), nullable=True),
    sa.Column('usage', sa.JSON(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_term')),
    sa.UniqueConstraint('slug', name=op.f('uq_glossary_term_slug'))
    )
    op.create_table('library_instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('short_title', sa.JSON(), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('dated', sa.String(length=10), nullable=True),
    sa.Column('summary_html', sa.JSON(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_instrument')),
    sa.UniqueConstraint('slug', name=op.f('uq_library_instrument_slug'))
    )
    op.create_table('library_article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sa.JSON(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('pending', sa.JSON(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['library_instrument.id'], name=op.f('fk_library_article_instrument_id_library_instrument')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_article')),
    sa.UniqueConstraint('instrument_id', 'slug', name=op.f('uq_library_article_instrument_id_slug'))
    )
    with op.batch_alter_table('library_article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_article_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('article_citation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['library_article.id'], name=op.f('fk_article_citation_article_id_library_article'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_article_citation_module_id_module'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_citation')),
    sa.UniqueConstraint('article_id', 'module_id', 'question_id', name=op.f('uq_article_citation_article_id_module_id_question_id'))
    )
    with op.batch_alter_table('article_citation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_citation_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_citation_module_id'), ['module_id'], unique=False)



def downgrade():
    with op.batch_alter_table('article_citation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_citation_module_id'))
        batch_op.drop_index(batch_op.f('ix_article_citation_article_id'))

    op.drop_table('article_citation')
    with op.batch_alter_table('library_article', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_article_instrument_id'))

    op.drop_table('library_article')
    op.drop_table('library_instrument')
    op.drop_table('glossary_term')
    op.drop_table('case_note')

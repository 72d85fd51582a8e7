"""API keys (hash only) and SNS automation: accounts with encrypted credentials, posts.

Revision ID: 0016_apikeys_sns
Revises: 0015_monitoring
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0016_apikeys_sns"
down_revision = "0015_monitoring"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scope_read', sa.Boolean(), nullable=False),
    sa.Column('scope_write', sa.Boolean(), nullable=False),
    sa.Column('scope_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index('ix_api_keys_user_id_id', ['user_id', 'id'], unique=False)

    op.create_table('sns_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('handle', sa.String(length=100), nullable=False),
    sa.Column('credential', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("platform IN ('x', 'instagram', 'facebook', 'threads', 'linkedin', 'mastodon')", name=op.f('ck_sns_accounts_platform_valid')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_sns_accounts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sns_accounts')),
    sa.UniqueConstraint('owner_id', 'platform', 'handle', name=op.f('uq_sns_accounts_owner_id'))
    )
    with op.batch_alter_table('sns_accounts', schema=None) as batch_op:
        batch_op.create_index('ix_sns_accounts_owner_id_id', ['owner_id', 'id'], unique=False)

    op.create_table('sns_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('media', JSON, nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_via', sa.String(length=12), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("published_via IS NULL OR published_via IN ('webhook', 'local')", name=op.f('ck_sns_posts_published_via_valid')),
    sa.CheckConstraint("status IN ('draft', 'scheduled', 'published', 'failed')", name=op.f('ck_sns_posts_status_valid')),
    sa.ForeignKeyConstraint(['account_id'], ['sns_accounts.id'], name=op.f('fk_sns_posts_account_id_sns_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_sns_posts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sns_posts'))
    )
    with op.batch_alter_table('sns_posts', schema=None) as batch_op:
        batch_op.create_index('ix_sns_posts_account_id_id', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_sns_posts_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_sns_posts_owner_id_status_id', ['owner_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_sns_posts_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('sns_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_sns_posts_status_next_attempt_at')
        batch_op.drop_index('ix_sns_posts_owner_id_status_id')
        batch_op.drop_index('ix_sns_posts_owner_id_id')
        batch_op.drop_index('ix_sns_posts_account_id_id')

    op.drop_table('sns_posts')
    with op.batch_alter_table('sns_accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_sns_accounts_owner_id_id')

    op.drop_table('sns_accounts')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_api_keys_user_id_id')

    op.drop_table('api_keys')

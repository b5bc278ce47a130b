"""Flask extensions, created here and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names, identical on SQLite and PostgreSQL, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def include_name(name, type_, parent_names) -> bool:
    """Alembic's filter: tables a search engine owns (SQLite's FTS5 table ``search_fts`` and its shadow tables
    ``search_fts_*``, PostgreSQL's GIN index ``ix_search_document_fts``) are not models, so autogenerate and the
    model/migration comparison leave them alone."""
    if type_ == "table" and name and (name == "search_fts" or name.startswith("search_fts_")):
        return False
    if type_ == "index" and name == "ix_search_document_fts":  # PostgreSQL only
        return False
    return True


migrate = Migrate(render_as_batch=True, compare_type=True, include_name=include_name)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)

import pytest

from tests.library.tree import make_tree


@pytest.fixture
def lib_tree(tmp_path):
    return make_tree(tmp_path)


@pytest.fixture
def synced(db, lib_tree):
    """The small tree synced and committed; returns its path."""
    from lms.content.sync import sync_courses

    sync_courses(str(lib_tree))
    db.session.commit()
    return lib_tree

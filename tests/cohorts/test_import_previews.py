"""Import previews hold personal data: deleted on confirm or cancel, expired after a day, purged by a command
and by an erasure, never backed up (#15 item 9)."""

import io
import os
import re
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.cohorts.models import Enrolment

DATA = Path(__file__).parent / "data"
DAY = 24 * 3600


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef Trainer")


@pytest.fixture
def cohort(make_cohort, trainer):
    return make_cohort(trainer)


@pytest.fixture
def imports(app):
    return Path(app.instance_path) / "imports"


def waiting(imports: Path) -> list[str]:
    return sorted(p.name for p in imports.iterdir()) if imports.is_dir() else []


def preview(client, cohort, data: bytes = None, name: str = "messy.csv") -> str:
    response = client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO(data if data is not None else (DATA / "messy.csv").read_bytes()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    match = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else ""


def age(imports: Path, seconds: float) -> None:
    for path in imports.iterdir():
        then = time.time() - seconds
        os.utime(path, (then, then))


def test_confirm_deletes_the_preview(client, trainer, cohort, imports, db):
    client.login("trainer@example.org")
    token = preview(client, cohort)
    assert len(waiting(imports)) == 1
    assert client.post_form(f"/cohorts/{cohort.id}/import/confirm", {"token": token}).status_code == 302
    assert waiting(imports) == []
    # messy.csv: four people (one of them with an unknown profession, jurisdiction and gender, left empty)
    assert db.session.scalar(select(func.count(Enrolment.id))) == 4


def test_cancel_deletes_the_preview_and_needs_the_csrf_token(client, trainer, cohort, imports, db):
    client.login("trainer@example.org")
    token = preview(client, cohort)
    page = client.get(f"/cohorts/{cohort.id}/import")
    assert client.raw.post(f"/cohorts/{cohort.id}/import/cancel", data={"token": token}).status_code == 400
    assert len(waiting(imports)) == 1
    assert page.status_code == 200
    cancelled = client.post_form(f"/cohorts/{cohort.id}/import/cancel", {"token": token}, follow_redirects=True)
    assert "Import cancelled" in cancelled.get_data(as_text=True)
    assert waiting(imports) == []
    late = client.post_form(f"/cohorts/{cohort.id}/import/confirm", {"token": token}, follow_redirects=True)
    assert "This preview has expired" in late.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_the_preview_page_offers_cancel(client, trainer, cohort):
    client.login("trainer@example.org")
    client.post_form("/language", {"lang": "fr"})
    html = client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO((DATA / "messy.csv").read_bytes()), "messy.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert f'action="/cohorts/{cohort.id}/import/cancel"' in html and "Annuler l’importation" in html
    assert "24\u00a0heures au maximum" in html


def test_a_preview_expires_after_a_day(client, trainer, cohort, imports, db):
    client.login("trainer@example.org")
    token = preview(client, cohort)
    age(imports, DAY + 60)
    late = client.post_form(f"/cohorts/{cohort.id}/import/confirm", {"token": token}, follow_redirects=True)
    assert "This preview has expired" in late.get_data(as_text=True)
    assert waiting(imports) == [] and db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_opening_an_import_page_purges_every_expired_preview(client, make_user, make_cohort, trainer, cohort, imports):
    other = make_user(roles=("trainer",), email="other@example.org")
    other_cohort = make_cohort(other, title="Fès 2027")
    client.login("other@example.org")
    preview(client, other_cohort)
    age(imports, DAY + 60)
    client.logout()
    client.login("trainer@example.org")
    preview(client, cohort)  # fresh: kept
    assert [name.split("-")[0] for name in waiting(imports)] == [str(cohort.id)]
    assert client.get(f"/cohorts/{cohort.id}/import").status_code == 200
    assert len(waiting(imports)) == 1


def test_a_new_file_replaces_the_earlier_preview_and_nothing_to_import_keeps_nothing(client, trainer, cohort, imports):
    client.login("trainer@example.org")
    first = preview(client, cohort)
    second = preview(client, cohort)
    assert first != second and len(waiting(imports)) == 1 and second in waiting(imports)[0]
    assert preview(client, cohort, b"email;nom\nnot-an-address;X\n", "bad.csv") == ""
    assert waiting(imports) == []


def test_purge_imports_command(app, runner, imports):
    imports.mkdir(exist_ok=True)
    for name in ("1-2-oldtokenoldtokenold.csv", "1-3-newtokennewtokennew.xlsx"):
        (imports / name).write_bytes(b"email;nom\na@example.org;A\n")
    then = time.time() - DAY - 60
    os.utime(imports / "1-2-oldtokenoldtokenold.csv", (then, then))
    result = runner.invoke(args=["cohorts", "purge-imports"])
    assert result.exit_code == 0, result.output
    assert "1 import preview deleted" in result.output
    assert waiting(imports) == ["1-3-newtokennewtokennew.xlsx"]
    app.config["IMPORT_PREVIEW_HOURS"] = 0
    assert "1 import preview deleted" in runner.invoke(args=["cohorts", "purge-imports"]).output
    (imports / "1-4-againagainagainagain.csv").write_bytes(b"x")
    app.config["IMPORT_PREVIEW_HOURS"] = 24
    assert "1 import preview deleted" in runner.invoke(args=["cohorts", "purge-imports", "--all"]).output
    assert waiting(imports) == []


def test_erasing_a_person_deletes_the_previews_that_list_them(app, runner, make_user, imports):
    make_user(email="person@example.org", name_latin="Nadia Person")
    imports.mkdir(exist_ok=True)
    (imports / "1-2-csvcsvcsvcsvcsvcsv.csv").write_bytes(b"Courriel;Nom\nPerson@Example.org;Nadia\n")
    book = Workbook()
    book.active.append(["E-mail", "Nom"])
    book.active.append(["person@example.org", "Nadia"])
    buffer = io.BytesIO()
    book.save(buffer)
    (imports / "1-2-xlsxxlsxxlsxxlsxxlsx.xlsx").write_bytes(buffer.getvalue())
    (imports / "1-2-otherotherotherother.csv").write_bytes(b"email,name\nsomeone@example.org,Someone\n")
    result = runner.invoke(args=["users", "erase", "person@example.org", "--yes"])
    assert result.exit_code == 0, result.output
    assert waiting(imports) == ["1-2-otherotherotherother.csv"]


def test_backup_never_copies_previews(app, runner, db, imports, tmp_path):
    """A guard: the backup is the database alone (previews are files, and must stay out of any copy)."""
    imports.mkdir(exist_ok=True)
    (imports / "1-2-secretsecretsecretse.csv").write_bytes(b"email,name\nhidden.person@example.org,Hidden\n")
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    copies = list((tmp_path / "backups").iterdir())
    assert copies and all(b"hidden.person@example.org" not in p.read_bytes() for p in copies)
    assert waiting(imports) == ["1-2-secretsecretsecretse.csv"]  # the backup itself deletes nothing

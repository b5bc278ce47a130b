"""WSGI entry point: ``gunicorn wsgi:app`` (or ``flask run``, which reads .flaskenv)."""

from lms import create_app

app = create_app()

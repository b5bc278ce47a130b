"""Security headers on every response (RELIABILITY.md §1.7)."""

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


DEFAULT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


def set_security_headers(response):
    headers = response.headers
    # One pass over the response's headers instead of one per header (a view may have set its own).
    present = {key.lower() for key, _value in headers.items()}
    headers.extend((key, value) for key, value in DEFAULT_HEADERS if key.lower() not in present)
    from flask import current_app, request

    if current_app.config.get("SESSION_COOKIE_SECURE") and request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages may hold personal data: never in a shared cache.
    if response.mimetype in ("text/html", "application/json") and "cache-control" not in present:
        headers["Cache-Control"] = "no-store"
    return response


def refuse_nul_bytes():
    """A NUL character in a query or form value is refused (400) before any view reads it: no text a person
    types contains one, PostgreSQL cannot store one (it would end as a 500), and C libraries stop at it."""
    from flask import abort, request

    if "\x00" in request.path or any("\x00" in value for values in request.args.listvalues() for value in values):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for values in request.form.listvalues():
            if any("\x00" in value for value in values):
                abort(400)

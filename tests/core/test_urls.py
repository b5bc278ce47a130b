"""The public address (lms/core/urls.py): LMS_BASE_URL when set (never the request's Host header then), else the
request's own address, else the demo's."""

from lms.core.urls import DEMO_FALLBACK, external_url, public_base_url


def test_configured_address_wins_over_the_host_header(app):
    app.config["BASE_URL"] = "https://tadrib.example.ma/lms/"
    with app.test_request_context("/", headers={"Host": "evil.example.com"}):
        assert public_base_url() == "https://tadrib.example.ma/lms"
        url = external_url("certificates.verify_code", code="ABCD")
    assert url.startswith("https://tadrib.example.ma/lms/certificates/verify/") and url.endswith("ABCD")
    assert "evil" not in url


def test_without_configuration_the_request_s_address_then_the_demo_s(app):
    app.config["BASE_URL"] = None
    with app.test_request_context("/", base_url="http://127.0.0.1:8123"):
        assert public_base_url() == "http://127.0.0.1:8123"
    with app.app_context():
        assert public_base_url() == DEMO_FALLBACK
        assert external_url("certificates.verify_code", code="ABCD").startswith(DEMO_FALLBACK + "/certificates/verify/")

"""The programme report's PDF as an admin gets it now (issue #19): the button starts a job, which runs inline in
tests (immediate queue); the job's page then offers the file."""

import re


def job_id_of(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(re.fullmatch(r".*/reports/programme/jobs/(\d+)", response.headers["Location"]).group(1))


def programme_pdf(client, **form) -> bytes:
    """Press "Prepare the PDF" with ``form`` (from, to, course, cohort, jurisdiction, profession, mask) and download
    the file the job's page offers."""
    job_id = job_id_of(client.post_form("/reports/programme/pdf", {k: v for k, v in form.items() if v is not None}))
    page = client.get(f"/reports/programme/jobs/{job_id}").get_data(as_text=True)
    link = f"/reports/programme/jobs/{job_id}/programme-report.pdf"
    assert link in page, page
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data

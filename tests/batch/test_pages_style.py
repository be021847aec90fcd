"""The BATCH pages use the application's stylesheet: every class they name is styled,
results and receipts look like the rest of the application, and a rejection stands out
(and is announced)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from django.test import Client

from fla.batch import services
from fla.batch.models import BatchStatus

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "fla/batch/templates/batch"
CSS = (ROOT / "fla/web/static/web/fla.css").read_text()
# Classes styled for the whole application in the stylesheet or needing no style.
UNSTYLED = {"visually-hidden"}


def _styled(name: str) -> bool:
    return re.search(r"\." + re.escape(name) + r"(?![\w-])", CSS) is not None


def _template_classes() -> set[str]:
    found = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        for value in re.findall(r'class="([^"]*)"', text):
            # Template tags inside the attribute: only the plain names are checked here.
            value = re.sub(r"\{%.*?%\}", " ", value)
            value = re.sub(r"\S*\{\{.*?\}\}\S*", " ", value)  # status-{{ x }}: below
            found |= {n for n in value.split() if "{" not in n and "}" not in n}
    return found


def test_every_class_of_the_batch_templates_is_styled():
    missing = sorted(n for n in _template_classes() - UNSTYLED if not _styled(n))
    assert missing == []


def test_the_classes_made_from_a_status_are_styled():
    for status in BatchStatus.values:
        assert _styled(f"status-{status}"), status
    for status in ("accepted", "accepted_with_warnings", "rejected"):
        assert _styled(f"status-{status}"), status
    assert _styled("result-rejected")
    assert _styled("issue-blocking") and _styled("issue-warning")
    assert _styled("receipt-accepted") or _styled("receipt")
    assert _styled("receipt-rejected")


def test_tables_are_the_applications_data_tables(world):
    receipt = services.receive(
        world.caller,
        io.BytesIO(world.file(declarations=[world.training("T1", kind="x")])),
        production=True,
    )
    services.process(receipt.file_id)
    client = Client()
    client.force_login(world.user)
    listing = client.get("/batch/").content.decode()
    assert '<table class="data-table" id="batch-files">' in listing
    detail = client.get(f"/batch/{receipt.file_id}/").content.decode()
    assert '<table class="data-table" id="batch-results">' in detail
    assert '<tr class="result-rejected">' in detail
    assert '<li class="issue-blocking"><span class="issue-code">E011</span>' in detail


def test_a_rejected_receipt_is_an_alert_and_an_accepted_one_a_status(world):
    client = Client()
    client.force_login(world.user)
    upload = io.BytesIO(b"<batch_file>")
    upload.name = "bad.xml"
    rejected = client.post("/batch/upload/", {"file": upload}).content.decode()
    assert 'class="receipt receipt-rejected" role="alert" data-testid="receipt"' in rejected
    upload = io.BytesIO(world.file())
    upload.name = "good.xml"
    accepted = client.post("/batch/upload/", {"file": upload}, follow=True).content.decode()
    assert 'class="receipt receipt-accepted" role="status" data-testid="receipt"' in accepted

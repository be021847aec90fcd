"""A BATCH file through the online application in a real browser: upload, receipt,
progress bar, and the notification appearing once a worker has applied the file."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from fla.batch import services
from fla.batch.models import BatchFile, BatchStatus
from tests.browser.conftest import axe_violations, batch_training, write_batch_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload_as_hr(page, path) -> None:
    page.goto("/")
    page.get_by_test_id("start-login").click()
    page.get_by_test_id("demo-login-hr").click()
    page.goto("/batch/upload/")
    page.set_input_files("#batch-file", str(path))
    page.get_by_role("button", name="Opladen").click()


def open_progress(page) -> int:
    """The id of the file whose receipt the page shows, once its link has led to the
    file's progress and notification page."""
    file_id = int(page.get_by_test_id("file-id").inner_text())
    page.get_by_role("link", name="Voortgang en notificatie").click()
    return file_id


def test_upload_then_progress_then_notification(page, acme_hr, tmp_path, screenshot_dir):
    employer, workers = acme_hr
    lines = [
        batch_training("B-1", workers[0].insz),
        batch_training("B-2", workers[1].insz),
        batch_training("B-3", workers[2].insz, kind="unknown"),  # E011
    ]
    upload_as_hr(page, write_batch_file(tmp_path, "ACME-2025-03", employer, lines))
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("aanvaard voor verwerking")
    file_id = open_progress(page)
    progress = page.get_by_test_id(f"progress-{file_id}")
    expect(progress.locator("progress")).to_have_attribute("value", "0")
    expect(page.get_by_test_id("download-xml")).to_have_count(0)
    assert axe_violations(page) == []

    # A background worker applies the file; the page polls and shows the outcome.
    assert services.process(file_id) == "done"
    expect(page.get_by_test_id("download-xml")).to_be_visible()
    expect(page.get_by_test_id(f"progress-{file_id}").locator("progress")).to_have_attribute(
        "value", "100"
    )
    expect(page.get_by_test_id("rejected")).to_have_text("1")
    expect(page.locator("#batch-results")).to_contain_text("E011")
    page.screenshot(path=str(screenshot_dir / "batch-notification.png"), full_page=True)
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_test_id("download-xml").click()
    assert b"<code>E011</code>" in open(download.value.path(), "rb").read()


def test_the_upload_is_sent_once_however_often_it_is_clicked(page, acme_hr, tmp_path):
    """A second click while a large file is still being sent would send it again, and its
    receipt would say the reference was already used: the button is disabled once the
    form is sent, and a second sending is stopped."""
    employer, workers = acme_hr
    path = write_batch_file(
        tmp_path, "ACME-ONCE", employer, [batch_training("O-1", workers[0].insz)]
    )
    page.goto("/")
    page.get_by_test_id("start-login").click()
    page.get_by_test_id("demo-login-hr").click()
    page.goto("/batch/upload/")
    page.set_input_files("#batch-file", str(path))
    with page.expect_navigation():
        sent = page.evaluate(
            """() => {
                const form = document.querySelector("form.upload-form");
                const button = form.querySelector('button[type="submit"]');
                const first = new SubmitEvent("submit", {cancelable: true, submitter: button});
                form.dispatchEvent(first);  // the first sending, as the button's click
                const second = new SubmitEvent("submit", {cancelable: true});
                form.dispatchEvent(second);
                const state = {disabled: button.disabled, busy: form.getAttribute("aria-busy"),
                               firstStopped: first.defaultPrevented,
                               secondStopped: second.defaultPrevented};
                form.submit();  // what the browser does after an event not stopped
                return state;
            }"""
        )
    assert sent == {"disabled": True, "busy": "true", "firstStopped": False, "secondStopped": True}
    expect(page.get_by_test_id("receipt")).to_contain_text("aanvaard voor verwerking")
    assert BatchFile.objects.filter(reference="ACME-ONCE").count() == 1


def test_a_rejected_file_shows_line_and_reason(page, acme_hr, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b'<?xml version="1.0"?>\n<batch_file xmlns="urn:x">\n<oops>\n')
    upload_as_hr(page, broken)
    expect(page.get_by_test_id("receipt")).to_contain_text("geweigerd")
    error = page.get_by_test_id("receipt-error").first
    expect(error).to_contain_text("lijn")
    assert axe_violations(page) == []


def test_a_polling_page_whose_session_ended_goes_to_the_login_and_back(page, acme_hr, tmp_path):
    employer, workers = acme_hr
    lines = [batch_training("S-1", workers[0].insz)]
    upload_as_hr(page, write_batch_file(tmp_path, "ACME-2025-04", employer, lines))
    file_id = open_progress(page)
    expect(page.get_by_test_id(f"progress-{file_id}").locator("progress")).to_have_attribute(
        "value", "0"
    )
    # The session ends while the page polls: the next poll loads the login page as a
    # page (not into the progress bar), which leads back to this page.
    page.context.clear_cookies()
    page.wait_for_url(lambda url: "/login/" in url and unquote(url).endswith(f"/batch/{file_id}/"))
    expect(page.locator(".batch-progress")).to_have_count(0)
    page.get_by_test_id("demo-login-hr").click()
    page.wait_for_url(f"**/batch/{file_id}/")
    expect(page.get_by_test_id(f"progress-{file_id}")).to_be_visible()


# Everything the page's live regions are given while the page is open, in order: what a
# screen reader would say. Set on the page before its first poll.
RECORD_LIVE_REGIONS = """() => {
  window.__said = [];
  const live = '[aria-live], [role="status"], [role="alert"]';
  new MutationObserver(records => {
    // A swap is several records (the old text out, the new in): one change of a region.
    const changed = new Set();
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const region = node && node.closest(live);
      if (region) { changed.add(region); }
    }
    changed.forEach(region => window.__said.push(region.textContent.trim()));
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def test_the_progress_is_announced_at_each_ten_per_cent_while_the_bar_follows_every_poll(
    page, acme_hr, tmp_path
):
    employer, workers = acme_hr
    lines = [batch_training(f"P-{i}", workers[0].insz) for i in range(100)]
    upload_as_hr(page, write_batch_file(tmp_path, "ACME-2025-05", employer, lines))
    file_id = open_progress(page)
    bar = page.get_by_test_id(f"progress-{file_id}").locator("progress")
    expect(bar).to_have_attribute("value", "0")
    page.evaluate(RECORD_LIVE_REGIONS)

    # A worker advances through the file; the bar shows each state it is polled in.
    files = BatchFile.objects.filter(pk=file_id)
    files.update(status=BatchStatus.PROCESSING)
    expect(page.locator(".batch-progress .status")).to_have_text("In verwerking")
    for processed in (4, 8, 13, 17, 26):
        files.update(processed=processed)
        expect(bar).to_have_attribute("value", str(processed))
    assert page.evaluate("window.__said") == [
        f"Bestand {file_id}: In verwerking, 0%",
        f"Bestand {file_id}: In verwerking, 13%",
        f"Bestand {file_id}: In verwerking, 26%",
    ]
    region = page.get_by_test_id("progress-status")
    expect(region).to_have_text(f"Bestand {file_id}: In verwerking, 26%")
    assert axe_violations(page) == []

    # The end: the page is reloaded with its final state and says how the file ended.
    files.update(status=BatchStatus.DONE, processed=100, accepted=100)
    expect(page.locator(".messages[role=status]")).to_have_text(
        f"Bestand {file_id} is verwerkt: 100 aanvaard, 0 aanvaard met waarschuwingen, 0 geweigerd."
    )

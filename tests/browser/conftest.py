"""Browser tests: Playwright drives Debian's chromium against pytest-django's live_server.

They fail, not skip, when chromium is missing: the screens are only shown to work by
a real browser.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("FLA_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
# axe-core, vendored for the tests only (tests/browser/vendor/README.md): never served.
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium is missing at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        locale="nl-BE", viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def acme_hr(transactional_db):
    """Acme Logistics with three workers and no training, and its HR user "hr" (Hilde
    Ranst, whom the demo login offers as "hr"), who may declare for it: the employer and
    its workers."""
    from tests.factories import grant, make_user
    from tests.web.conftest import build_employer

    employer, workers = build_employer(3, "Acme Logistics", trainings=0)
    grant(make_user("hr", first_name="Hilde", last_name="Ranst"), employer, "declare")
    return employer, workers


def batch_training(reference: str, insz: str, **zones) -> tuple[str, dict]:
    """A training line of a BATCH file: a completed formal training of 4 hours on one day."""
    data = {
        "reference": reference,
        "insz": insz,
        "title": "Veiligheid",
        "kind": "formal",
        "start_date": "2025-03-01",
        "end_date": "2025-03-01",
        "duration_minutes": 240,
        "status": "completed",
    }
    data.update(zones)
    return ("training", data)


def write_batch_file(folder: Path, reference: str, employer, declarations, sender=None) -> Path:
    """The BATCH file ``reference`` of ``declarations`` for ``employer``, sent by ``sender``
    (a mandatary of the employer; by default the employer itself), written in ``folder``
    as ``<reference>.xml`` in lower case."""
    from fla.batch.builder import file_bytes

    path = folder / f"{reference.lower()}.xml"
    path.write_bytes(
        file_bytes(
            reference=reference,
            sender=(sender or employer).enterprise_number,
            employers=[(employer.enterprise_number, declarations)],
        )
    )
    return path


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """docs/screenshots when FLA_SCREENSHOTS=1, else a temporary folder."""
    if os.environ.get("FLA_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path


def axe_violations(page, impacts=("serious", "critical"), axe=None) -> list[dict]:
    """Run the vendored axe-core on the page; the violations of the given impacts.

    A missing axe-core fails the test: a check that cannot run must not pass.
    """
    axe = axe or AXE
    if not axe.is_file():
        pytest.fail(f"axe-core is missing at {axe}: see tests/browser/vendor/README.md")
    # Evaluated through the DevTools protocol, which the Content-Security-Policy (no
    # inline script, only our own origin) does not govern: the application never serves it.
    page.evaluate(axe.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


# The pages' CSP allows no 'unsafe-eval'. page.wait_for_function evaluates its predicate
# string again at each poll, which Chromium may then refuse ("EvalError: Evaluating a
# string as JavaScript violates the following Content Security Policy directive"), so
# the tests wait with locators, or poll with single evaluate calls, instead.


def wait_for_count(page, selector: str, count: int = 1) -> None:
    """Wait until the page holds at least ``count`` elements matching ``selector``."""
    page.locator(selector).nth(count - 1).wait_for(state="attached")


def wait_until(check, timeout: float = 10.0) -> None:
    """Call ``check`` (which evaluates in the page) until it answers true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the page never reached the state waited for")
        time.sleep(0.05)

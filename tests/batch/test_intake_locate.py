"""Locating a validity error lets go of the elements it has read, as the receipt does."""

import io

import pytest
from lxml import etree

from fla.batch import receipt, services
from tests.batch.test_receipt import assert_nothing_stored


@pytest.fixture
def parsers(monkeypatch):
    """The root element of every validating parser the receipt makes, in order."""
    roots: list = []
    original = etree.XMLPullParser

    class Recording(original):
        def read_events(self):
            for event, element in super().read_events():
                if not hasattr(self, "root"):
                    self.root = element.getroottree().getroot()
                    roots.append(self.root)
                yield event, element

    monkeypatch.setattr(receipt.etree, "XMLPullParser", Recording)
    return roots


def test_locating_an_error_near_the_end_of_a_large_file_keeps_few_elements(
    world, batch_storage, parsers
):
    declarations = [world.training(f"T{i}") for i in range(8000)]
    declarations[-3] = world.training("BAD", kind="Not a code")
    data = world.file(declarations=declarations)
    assert len(data) > 1_500_000
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    before = data[: data.index(b"<kind>Not a code")]
    assert error.code == "invalid" and "kind" in error.reason
    assert (error.line, error.column) == (
        before.count(b"\n") + 1,
        len(before) - before.rfind(b"\n"),
    )
    scanning, locating = parsers  # the receipt's pass, then the one that found the line
    # Without clearing, the second held all 8,000 trainings: some 80,000 elements.
    assert sum(1 for _ in locating.iter()) < 50
    assert sum(1 for _ in scanning.iter()) < 50
    assert_nothing_stored(batch_storage)

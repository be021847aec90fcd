"""The line and column of a rejection: those of the start tag of the element a validity
error is about, also on a file of one long line; lines counted as XML counts them (LF,
CR LF or a lone CR); and locating keeps nothing of the elements it has read."""

import io
import tracemalloc

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


# A code longer than the schema takes (40 characters).
TOO_LONG_CODE = "not_a_code_" * 4


def test_locating_an_error_near_the_end_of_a_large_file_keeps_few_elements(
    world, batch_storage, parsers
):
    declarations = [world.training(f"T{i}") for i in range(8000)]
    declarations[-3] = world.training("BAD", kind=TOO_LONG_CODE)
    data = world.file(declarations=declarations)
    assert len(data) > 1_500_000
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    before = data[: data.index(b"<kind>" + TOO_LONG_CODE.encode())]
    assert error.code == "invalid" and "kind" in error.reason
    assert (error.line, error.column) == (
        before.count(b"\n") + 1,
        len(before) - before.rfind(b"\n"),
    )
    # The receipt's pass: without clearing, it held all 8,000 trainings. The pass that
    # locates the error builds no tree at all (its parser has a target).
    (scanning,) = parsers
    assert sum(1 for _ in scanning.iter()) < 50
    assert_nothing_stored(batch_storage)


def test_locating_keeps_memory_flat(world, tmp_path):
    declarations = [world.training(f"T{i}") for i in range(8000)]
    declarations[-3] = world.training("BAD", kind=TOO_LONG_CODE)
    data = world.file(declarations=declarations).replace(b"\n", b"")
    path = tmp_path / "spooled.xml"
    path.write_bytes(data)
    with open(path, "rb") as spooled:
        tracemalloc.start()
        try:
            error = receipt.locate(spooled, receipt.ReceiptError("invalid", "", offset=None))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert (error.line, error.column) == (
        1,
        len(data[: data.index(b"<kind>" + TOO_LONG_CODE.encode())]) + 1,
    )
    assert peak < len(data) // 2, peak


def position(data: bytes, at: bytes, occurrence: int = 1) -> tuple[int, int]:
    """Line and column of the ``occurrence``-th ``at`` in ``data``, as XML counts them."""
    index = -1
    for _ in range(occurrence):
        index = data.index(at, index + 1)
    text = data[:index].decode().replace("\r\n", "\n").replace("\r", "\n")
    return text.count("\n") + 1, len(text) - (text.rfind("\n") + 1) + 1


def one_line(world, count: int, **changes) -> bytes:
    declarations = [world.training(f"T{i}") for i in range(count)]
    for index, zones in changes.items():
        declarations[int(index[1:])] = world.training(f"T{index[1:]}", **zones)
    return world.file(declarations=declarations).replace(b"\n", b"")


@pytest.mark.parametrize("count", [300, 3000])
def test_a_wrong_value_on_a_file_of_one_line(world, count):
    data = one_line(world, count).replace(
        b"<reference>T250</reference>", b"<reference>T 250</reference>"
    )
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    assert error.code == "invalid" and "T 250" in error.reason
    assert (error.line, error.column) == position(data, b"<reference>T 250")


def test_an_unexpected_element_on_a_file_of_one_line(world):
    data = one_line(world, 3000)
    data = data.replace(b"<title>Safety</title>", b"<title>Safety</title><colour/>", 2900)
    data = data.replace(b"<colour/>", b"", 2899)  # only the 2,900th training has one
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    assert error.code == "invalid" and "colour" in error.reason
    assert (error.line, error.column) == position(data, b"<colour/>")


def test_the_element_at_fault_among_others_of_its_name_close_by(world):
    # Short blocks: several <year> in the same few bytes; the second one is wrong.
    declarations = [
        ("rights", {"insz": w.insz, "year": 2026, "employer_minutes": 60}) for w in world.workers
    ]
    data = world.file(declarations=declarations).replace(b"\n", b"")
    data = data.replace(b"<year>2026</year>", b"<year>1800</year>", 2)
    data = data.replace(b"<year>1800</year>", b"<year>2026</year>", 1)
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    assert error.code == "invalid" and "1800" in error.reason
    assert (error.line, error.column) == position(data, b"<year>1800")
    # An element not expected where a wrong one of the same name comes just before.
    data = data.replace(b"<year>1800</year>", b"<year>2026</year><year>2026</year>")
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    assert error.code == "invalid" and "not expected" in error.reason
    assert (error.line, error.column) == position(data, b"<year>", 3)


def test_an_error_found_at_the_end_of_a_block_points_at_its_start(world):
    data = world.file(declarations=[world.training("T1")])
    start = data.index(b"<employer>")
    data = data[:start] + data[data.index(b"</batch_file>") :]  # a header, no employer
    (error,) = services.receive(world.caller, io.BytesIO(data), production=True).errors
    assert error.code == "invalid" and "batch_file" in error.reason
    assert (error.line, error.column) == position(data, b"<batch_file")


# --- lines as XML counts them -----------------------------------------------------------


def rejected(world, data: bytes, **kwargs):
    receipt = services.receive(world.caller, io.BytesIO(data), production=True, **kwargs)
    (error,) = receipt.errors
    return error.code, error.line, error.column


def bad_files(world) -> dict[str, tuple[bytes, bytes]]:
    """Files with line ends LF, each with one fault, and where it is (the start of what
    the rejection points at)."""
    many = world.file(declarations=[world.training(f"T{i}") for i in range(400)])
    return {
        "invalid": (
            many.replace(b"<reference>T350</reference>", b"<reference>T 350</reference>"),
            b"<reference>T 350",
        ),
        "wrong_sender": (world.file(sender="0400000383"), b"<sender>"),
        "wrong_environment": (world.file(environment="test"), b"<environment>"),
        "forbidden": (
            many.replace(b"?>\n", b"?>\n\n\n<!DOCTYPE batch_file>\n", 1),
            b"<!DOCTYPE",
        ),
    }


@pytest.mark.parametrize("ends", [b"\r", b"\r\n"], ids=["CR", "CR LF"])
@pytest.mark.parametrize("fault", ["invalid", "wrong_sender", "wrong_environment", "forbidden"])
def test_lines_end_at_cr_lf_and_a_lone_cr(world, ends, fault):
    data, at = bad_files(world)[fault]
    other = data.replace(b"\n", ends)
    assert rejected(world, other) == (fault, *position(other, at))
    assert rejected(world, other) == rejected(world, data)  # as with LF


@pytest.mark.parametrize("ends", [b"\r", b"\r\n"], ids=["CR", "CR LF"])
def test_where_libxml2_or_the_receipt_stopped_also_counts_a_lone_cr(world, ends):
    many = world.file(declarations=[world.training(f"T{i}") for i in range(3000)])
    mismatched = many.replace(b"<title>Safety</title>", b"<title>Safety</titel>", 2900)
    mismatched = mismatched.replace(b"</titel>", b"</title>", 2899)
    truncated = many[: len(many) // 2]
    for data in (mismatched, truncated):
        with_lf = rejected(world, data)
        assert with_lf[1] > 1000
        if ends == b"\r":  # as many bytes: the same line and column
            assert rejected(world, data.replace(b"\n", ends)) == with_lf
        else:
            assert rejected(world, data.replace(b"\n", ends))[:2] == with_lf[:2]
    code, line, column = rejected(world, truncated.replace(b"\n", ends))
    assert (code, line, column) == ("not_well_formed", *position(truncated + b"@", b"@"))


def test_a_lone_cr_in_the_prolog(world, settings):
    data = world.file().replace(b"?>\n", b"?>\r<!-- a -->\r\n<!-- b -->\r<!DOCTYPE x>", 1)
    assert rejected(world, data) == ("forbidden", 4, 1)
    settings.FLA_MAX_BATCH_BYTES = 100_000
    many = world.file(declarations=[world.training(f"T{i}") for i in range(1000)])
    code, line, column = rejected(world, many.replace(b"\n", b"\r"))
    assert code == "too_large" and (line, column) == rejected(world, many)[1:]

"""The prolog (XML declaration, comments, PIs) is walked once, and is bounded."""

import io

from fla.batch import services
from fla.batch.receipt import MAX_PROLOG, READ_SIZE, Prolog
from tests.batch.test_receipt import assert_nothing_stored

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'


class ShortReads(io.BytesIO):
    """A stream that gives less than asked, as a network stream may."""

    def read(self, size=-1):
        return super().read(min(size, 1000) if size and size > 0 else 1000)


def with_prolog(data: bytes, prolog: bytes) -> bytes:
    declaration, rest = data.split(b"\n", 1)
    assert declaration == DECLARATION
    return declaration + b"\n" + prolog + rest


def test_a_prolog_longer_than_the_limit_is_refused_without_reading_on(world, batch_storage):
    # Empty comments up to five times the limit: the file was read (and its prolog
    # walked again after every block) to the end before.
    data = with_prolog(world.file(), b"<!---->" * (5 * MAX_PROLOG // 7) + b"\n")
    stream = io.BytesIO(data)
    receipt = services.receive(world.caller, stream, production=True)
    (error,) = receipt.errors
    assert error.code == "forbidden" and f"{MAX_PROLOG} bytes" in error.reason
    assert error.line == 2 and MAX_PROLOG - 100 < error.column <= MAX_PROLOG
    assert stream.tell() <= MAX_PROLOG + 2 * READ_SIZE < len(data)
    assert_nothing_stored(batch_storage)


def test_an_unclosed_comment_longer_than_the_limit_is_refused(world, batch_storage):
    data = with_prolog(world.file(), b"<!-- " + b"x" * (3 * MAX_PROLOG))
    stream = io.BytesIO(data)
    (error,) = services.receive(world.caller, stream, production=True).errors
    assert (error.code, error.line, error.column) == ("forbidden", 2, 1)
    assert stream.tell() <= MAX_PROLOG + 2 * READ_SIZE


def test_the_walked_prolog_is_handed_on_and_forgotten():
    prolog = Prolog()
    handed = b""
    comment = b"<!-- a comment -->\n"
    for _ in range(MAX_PROLOG // len(comment) - 10):
        handed += prolog.feed(comment, complete=False)
        assert len(prolog.pending) <= len(comment)  # never more than the item being read
    assert not prolog.done
    assert prolog.feed(b"<batch_file/>", complete=True).endswith(b"<batch_file/>")
    assert prolog.done


def test_a_long_prolog_within_the_limit_keeps_lines_and_columns_right(world, batch_storage):
    # Comments on many lines, read in many short pieces, then an element the XSD refuses.
    comments = b"<!-- a comment on a line of its own -->\n" * (MAX_PROLOG // 2 // 40)
    data = with_prolog(world.file(), comments)
    data = data.replace(b"<title>Safety</title>", b"<title>Safety</title><colour>red</colour>")
    (error,) = services.receive(world.caller, ShortReads(data), production=True).errors
    before = data[: data.index(b"<colour>")]
    assert error.code == "invalid" and "colour" in error.reason
    assert (error.line, error.column) == (
        before.count(b"\n") + 1,
        len(before) - before.rfind(b"\n"),
    )
    # and the same file without the bad element is accepted
    good = with_prolog(world.file(), comments)
    assert services.receive(world.caller, ShortReads(good), production=True).accepted


def test_a_doctype_after_a_long_prolog_is_refused_where_it_is(world, batch_storage):
    comments = b"<!-- c -->" * (MAX_PROLOG // 20) + b"\n  "
    data = with_prolog(world.file(), comments + b'<!DOCTYPE batch_file [<!ENTITY e "x">]>\n')
    (error,) = services.receive(world.caller, ShortReads(data), production=True).errors
    assert (error.code, error.line, error.column) == ("forbidden", 3, 3)
    assert "DOCTYPE" in error.reason
    assert_nothing_stored(batch_storage)


def test_prolog_only_and_empty_files(world, batch_storage):
    receive = services.receive
    only = receive(world.caller, io.BytesIO(DECLARATION + b"\n<!-- c -->\n"), production=True)
    assert only.errors[0].code == "not_well_formed"
    blank = receive(world.caller, io.BytesIO(b" \n\n "), production=True)
    assert blank.errors[0].code == "not_well_formed" and blank.errors[0].line == 1
    latin = receive(
        world.caller,
        io.BytesIO(b'<?xml version="1.0" encoding="ISO-8859-1"?><!-- c --><a/>'),
        production=True,
    )
    assert latin.errors[0].code == "forbidden"


def test_an_encoding_after_a_byte_order_mark_is_checked_however_it_is_read(world, batch_storage):
    # The BOM and the start of the declaration come before its encoding is read.
    data = b'\xef\xbb\xbf<?xml version="1.0"' + b" " * 3000 + b' encoding="ISO-8859-1"?><a/>'
    receipt = services.receive(world.caller, ShortReads(data), production=True)
    assert receipt.errors[0].code == "forbidden" and "UTF-8" in receipt.errors[0].reason

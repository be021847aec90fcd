"""Hostile files: each is a clean rejection of the whole file, nothing stored."""

import io
import os

import pytest

from fla.batch import services
from fla.batch.builder import IterStream, declaration_xml, header_xml
from fla.batch.models import BatchFile, BatchResult


def assert_rejected_cleanly(receipt, tmp_path, code):
    assert not receipt.accepted, receipt
    assert [e.code for e in receipt.errors] == [code], receipt.errors
    assert BatchFile.objects.count() == 0 and BatchResult.objects.count() == 0
    media = tmp_path / "media"
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
    assert os.listdir(tmp_path / "spool") == []


def send(world, data, production=True):
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return services.receive(world.caller, stream, production=production)


def body(world, declarations_xml: str) -> bytes:
    en = world.employer.enterprise_number
    return (
        header_xml("F1", world.mandatary.enterprise_number)
        + f"<employer><enterprise_number>{en}</enterprise_number>{declarations_xml}"
        "</employer></batch_file>"
    ).encode()


def with_doctype(world, doctype: str, title: str) -> bytes:
    data = body(world, declaration_xml("training", dict(world.training("T1")[1], title="TITLE")))
    data = data.replace(b"TITLE", title.encode())
    declaration_end = data.index(b"?>") + 2
    return data[:declaration_end] + b"\n" + doctype.encode() + data[declaration_end:]


def test_xxe_external_entity(world, batch_storage):
    data = with_doctype(
        world, '<!DOCTYPE batch_file [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"
    )
    receipt = send(world, data)
    assert_rejected_cleanly(receipt, batch_storage, "forbidden")
    assert (receipt.errors[0].line, receipt.errors[0].column) == (2, 1)


def test_billion_laughs(world, batch_storage):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    data = with_doctype(world, f"<!DOCTYPE batch_file [{entities}]>", "&lol9;")
    assert_rejected_cleanly(send(world, data), batch_storage, "forbidden")


def test_external_dtd(world, batch_storage):
    data = with_doctype(world, '<!DOCTYPE batch_file SYSTEM "http://127.0.0.1:9/evil.dtd">', "x")
    assert_rejected_cleanly(send(world, data), batch_storage, "forbidden")


def test_doctype_hidden_after_a_comment(world, batch_storage):
    data = with_doctype(world, '<!-- <a> --><!DOCTYPE batch_file [<!ENTITY e "x">]>', "&e;")
    assert_rejected_cleanly(send(world, data), batch_storage, "forbidden")


def test_other_encoding_is_refused(world, batch_storage):
    data = body(world, "").replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    assert_rejected_cleanly(send(world, data), batch_storage, "forbidden")


def test_deep_nesting(world, batch_storage):
    deep = "<training>" + "<title>" * 100_000
    assert_rejected_cleanly(send(world, body(world, deep)), batch_storage, "invalid")
    # Even without a schema to stop it early, libxml2's depth limit holds.
    deep_text = "<a>" * 100_000
    data = (header_xml("F2", world.mandatary.enterprise_number) + deep_text).encode()
    receipt = send(world, data)
    assert not receipt.accepted and BatchFile.objects.count() == 0


def test_wrong_namespace(world, batch_storage):
    data = body(world, "").replace(b"urn:be:fla:batch:v1", b"urn:be:fla:batch:v9")
    receipt = send(world, data)
    assert_rejected_cleanly(receipt, batch_storage, "invalid")
    assert "batch_file" in receipt.errors[0].reason and receipt.errors[0].line == 2


def test_no_namespace(world, batch_storage):
    data = body(world, "").replace(b' xmlns="urn:be:fla:batch:v1"', b"")
    receipt = send(world, data)
    assert_rejected_cleanly(receipt, batch_storage, "invalid")
    # says what the root element must be, not only libxml2's words
    assert "naamruimte urn:be:fla:batch:v1" in receipt.errors[0].reason


ZONE_ROOTS = {
    "sender": b"<sender>0400000383</sender>",
    "file_reference": b"<file_reference>F1</file_reference>",
    "enterprise_number": b"<enterprise_number>0403170701</enterprise_number>",
    "reference": b"<reference>T1</reference>",
    "header": b"<header><file_reference>F1</file_reference></header>",
    "employer": b"<employer><enterprise_number>0403170701</enterprise_number></employer>",
    "training": b"<training><reference>T1</reference></training>",
}


@pytest.mark.parametrize("root", ZONE_ROOTS.values(), ids=ZONE_ROOTS.keys())
def test_a_zone_or_block_as_root_element(world, batch_storage, root):
    tag = root[1 : root.index(b">")]
    element = b"<" + tag + b' xmlns="urn:be:fla:batch:v1">' + root[len(tag) + 2 :]
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + element + b"\n"
    receipt = send(world, data)
    assert_rejected_cleanly(receipt, batch_storage, "invalid")
    (error,) = receipt.errors
    assert (error.line, error.column) == (2, 1)
    assert "No matching global declaration available for the validation root" in error.reason


def _rss_peak_reset() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM, the peak resident set size


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(field)


def test_one_gigabyte_stream_cut_short(world, batch_storage):
    """A valid 1 GB stream, generated lazily, that stops in the middle of an element.

    Each megabyte is one training followed by whitespace, so the whole gigabyte goes
    through the receipt (size count, spool, validating parser) in seconds; the memory
    of the process stays flat.
    """
    en = world.employer.enterprise_number
    training = declaration_xml("training", world.training("T1")[1]).encode()
    megabyte = training + b"\n" + b" " * (1024 * 1024 - len(training) - 2) + b"\n"
    total = 1024**3

    def chunks():
        head = (
            header_xml("BIG", world.mandatary.enterprise_number)
            + f"<employer><enterprise_number>{en}</enterprise_number>\n"
        ).encode()
        yield head
        sent = len(head)
        while sent + len(megabyte) < total:
            yield megabyte
            sent += len(megabyte)
        yield training[: len(training) // 2]  # cut inside an element

    _rss_peak_reset()
    before = _rss("VmRSS")
    receipt = send(world, IterStream(chunks()))
    assert _rss("VmHWM") - before < 150 * 1024 * 1024
    assert_rejected_cleanly(receipt, batch_storage, "not_well_formed")
    assert receipt.errors[0].line > 2000


def test_validating_a_long_employer_block_keeps_memory_flat():
    """200,000 declarations in one employer block: the receipt's validating parse holds
    nothing per declaration (the XSD repeats a sequence of one choice; libxml2 runs a
    repeated choice with a counter and kept every element it had seen until the block
    ended, some 70 bytes a declaration). What grows is the fixed Bloom filter of the
    repeated references (16 MB, ``parsing.RepeatedReferences``)."""
    from fla.batch import receipt

    def chunks():
        yield (
            header_xml("LONG", "0403170701")
            + "<employer><enterprise_number>0403170701</enterprise_number>"
        ).encode()
        for start in range(0, 200_000, 1000):
            yield "".join(
                f"<training><reference>R{i}</reference></training>"
                for i in range(start, start + 1000)
            ).encode()
        yield b"</employer></batch_file>"

    _rss_peak_reset()
    before = _rss("VmRSS")
    with open(os.devnull, "wb") as sink:
        scan = receipt.scan(
            IterStream(chunks()), sink, max_bytes=10**10, check_header=lambda scan: None
        )
    assert scan.declarations == 200_000
    growth = _rss("VmHWM") - before
    assert growth < 24 * 1024 * 1024, growth / 1e6

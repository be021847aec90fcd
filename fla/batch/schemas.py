"""The XSDs of the BATCH channel, loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "schemas"
BATCH_XSD = "fla-batch-v1.xsd"
NOTIFICATION_XSD = "fla-notification-v1.xsd"
SCHEMAS = (BATCH_XSD, NOTIFICATION_XSD)
BATCH_NS = "urn:be:fla:batch:v1"
NOTIFICATION_NS = "urn:be:fla:notification:v1"


# What every parser of a file sent to FLA is given: no DTD is loaded or validated, no
# byte is fetched from the network, and lxml's limits on depth and size stay on. Each
# parser adds how it treats entities.
SAFE = {"no_network": True, "load_dtd": False, "dtd_validation": False, "huge_tree": False}
# A parser that keeps nothing but the elements and their text.
SAFE_ELEMENTS = {**SAFE, "resolve_entities": False, "remove_comments": True, "remove_pis": True}


def safe_parser(**kwargs) -> etree.XMLParser:
    """A parser with entities, DTDs and network access off."""
    return etree.XMLParser(resolve_entities=False, **SAFE, **kwargs)


@cache
def schema(name: str) -> etree.XMLSchema:
    if name not in SCHEMAS:
        raise KeyError(name)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name), safe_parser()))


def batch_schema() -> etree.XMLSchema:
    return schema(BATCH_XSD)


def notification_schema() -> etree.XMLSchema:
    return schema(NOTIFICATION_XSD)

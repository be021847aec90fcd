"""One list of zones per kind for every channel, and it is the BATCH schema's."""

from lxml import etree

from fla.batch.builder import ORDER
from fla.batch.schemas import BATCH_XSD, SCHEMA_DIR
from fla.declarations.types import ZONES

XS = "{http://www.w3.org/2001/XMLSchema}"
TYPES = {
    "employer_year": "EmployerYear",
    "worker": "WorkerDeclaration",
    "employment": "Employment",
    "rights": "RightsDeclaration",
    "training": "TrainingDeclaration",
}


def test_the_zones_are_those_of_the_batch_schema_in_its_order():
    schema = etree.parse(str(SCHEMA_DIR / BATCH_XSD))
    for kind, type_name in TYPES.items():
        [complex_type] = schema.getroot().iterfind(f"{XS}complexType[@name='{type_name}']")
        names = tuple(e.get("name") for e in complex_type.iter(f"{XS}element"))
        expected = ("action", *ZONES[kind]) if kind == "training" else ZONES[kind]
        assert names == expected, kind
        assert ORDER[kind] == names
    assert set(ZONES) == set(TYPES)

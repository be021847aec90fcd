"""The glossaries of the BATCH channel, generated from the xs:documentation of the XSDs.

``fla batch glossary`` writes docs/glossary-batch.<lang>.md; a test fails when the
committed files differ from what the schemas give, so the glossary cannot drift. The
zones of a file are named by their labels in the online application (``zones``), the
words a file's page shows for the zone of an anomaly.
"""

from __future__ import annotations

from pathlib import Path

from django.utils import translation
from lxml import etree

from fla.batch.schemas import BATCH_XSD, SCHEMA_DIR, SCHEMAS
from fla.batch.zones import zone_label

XS = "{http://www.w3.org/2001/XMLSchema}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGES = ("nl", "en")
DOCS_DIR = Path(__file__).resolve().parent.parent.parent / "docs"

_TEXT = {
    "nl": {
        "title": "Woordenlijst van het BATCH-kanaal",
        "intro": "Gegenereerd uit de `xs:documentation` van de XSD's in `schemas/` door "
        "`fla batch glossary`; niet met de hand aanpassen. De XSD's worden gepubliceerd "
        "op `/batch/schemas/<naam>.xsd`. De benaming van een zone van het bestand is die van "
        "de online toepassing (`fla/batch/zones.py`, hier in het Nederlands, daar ook in het "
        "Frans, Duits en Engels): zo noemt de pagina van een bestand de "
        "zone van een anomalie, met haar XML-naam erbij; de notificatie geeft de XML-naam.",
        "namespace": "Namespace",
        "root": "Hoofdelement",
        "block": "Blok",
        "used_by": "Element",
        "zone": "Zone",
        "label": "Benaming",
        "type": "Type",
        "occurs": "Aantal",
        "meaning": "Betekenis",
        "types": "Types",
        "restriction": "Beperking",
        "required": "1 (verplicht)",
        "optional": "0..1 (optioneel)",
        "many": "0..n",
        "one_or_more": "1..n",
        "choice": "naar keuze, herhaalbaar",
    },
    "en": {
        "title": "Glossary of the BATCH channel",
        "intro": "Generated from the `xs:documentation` of the XSDs in `schemas/` by "
        "`fla batch glossary`; do not edit by hand. The XSDs are published at "
        "`/batch/schemas/<name>.xsd`. The label of a zone of the file is the online "
        "application's (`fla/batch/zones.py`, here in Dutch or English, there also in French "
        "and German): a file's page names the zone of an anomaly by it, with its XML name "
        "beside it; the notification gives the XML name.",
        "namespace": "Namespace",
        "root": "Root element",
        "block": "Block",
        "used_by": "Element",
        "zone": "Zone",
        "label": "Label",
        "type": "Type",
        "occurs": "Occurs",
        "meaning": "Meaning",
        "types": "Types",
        "restriction": "Restriction",
        "required": "1 (required)",
        "optional": "0..1 (optional)",
        "many": "0..n",
        "one_or_more": "1..n",
        "choice": "any order, repeatable",
    },
}


def _doc(node: etree._Element, lang: str) -> str:
    for doc in node.findall(f"{XS}annotation/{XS}documentation"):
        if doc.get(XML_LANG) == lang:
            return " ".join((doc.text or "").split())
    return ""


def _occurs(element: etree._Element, in_choice: bool, words: dict[str, str]) -> str:
    low = element.get("minOccurs", "1")
    high = element.get("maxOccurs", "1")
    if in_choice:
        return words["choice"]
    if high == "unbounded":
        return words["one_or_more"] if low != "0" else words["many"]
    return words["optional"] if low == "0" else words["required"]


def _restriction(simple: etree._Element) -> str:
    restriction = simple.find(f"{XS}restriction")
    if restriction is None:
        return ""
    parts = [f"`{restriction.get('base')}`"]
    enums = [e.get("value") for e in restriction.findall(f"{XS}enumeration")]
    if enums:
        parts.append(" \\| ".join(f"`{v}`" for v in enums))
    for facet in ("pattern", "maxLength", "minInclusive", "maxInclusive"):
        node = restriction.find(f"{XS}{facet}")
        if node is not None:
            parts.append(f"{facet} `{_cell(node.get('value'))}`")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_schema(path: Path, lang: str) -> list[str]:
    words = _TEXT[lang]
    # The zones an anomaly can name are those of the file: named by their labels too.
    labelled = path.name == BATCH_XSD
    root = etree.parse(
        str(path), etree.XMLParser(resolve_entities=False, no_network=True)
    ).getroot()
    lines = [f"## `{path.name}`", "", _doc(root, lang), ""]
    lines += [f"- {words['namespace']}: `{root.get('targetNamespace')}`"]
    for element in root.findall(f"{XS}element"):
        lines.append(f"- {words['root']}: `{element.get('name')}` — {_doc(element, lang)}")
    lines.append("")
    users: dict[str, list[str]] = {}
    for element in root.iter(f"{XS}element"):
        if element.get("type"):
            users.setdefault(element.get("type"), []).append(element.get("name"))
    simple_types = {s.get("name"): s for s in root.findall(f"{XS}simpleType")}
    for complex_type in root.findall(f"{XS}complexType"):
        name = complex_type.get("name")
        names = ", ".join(f"`{n}`" for n in dict.fromkeys(users.get(name, [])))
        lines += [f"### {words['block']} {names}", ""]
        doc = _doc(complex_type, lang)
        if doc:
            lines += [doc, ""]
        heads = [words["zone"], words["type"], words["occurs"], words["meaning"]]
        if labelled:
            heads.insert(1, words["label"])
        lines += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        block = next(iter(users.get(name, [])), "")
        for element in complex_type.iter(f"{XS}element"):
            in_choice = element.getparent().tag == f"{XS}choice"
            type_name = element.get("type", "")
            shown = f"`{type_name}`"
            if type_name in simple_types:
                shown = f"`{type_name}` ({_restriction(simple_types[type_name])})"
            cells = [
                f"`{element.get('name')}`",
                shown,
                _occurs(element, in_choice, words),
                _cell(_doc(element, lang)),
            ]
            if labelled:
                with translation.override(lang):
                    cells.insert(1, _cell(zone_label(element.get("name"), block)))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if simple_types:
        lines += [
            f"### {words['types']}",
            "",
            f"| {words['type']} | {words['restriction']} | {words['meaning']} |",
            "|---|---|---|",
        ]
        for type_name, simple in simple_types.items():
            lines.append(
                f"| `{type_name}` | {_restriction(simple)} | {_cell(_doc(simple, lang))} |"
            )
        lines.append("")
    return lines


def render(lang: str) -> str:
    words = _TEXT[lang]
    lines = [f"# {words['title']}", "", words["intro"], ""]
    for name in SCHEMAS:
        lines += render_schema(SCHEMA_DIR / name, lang)
    return "\n".join(lines).rstrip("\n") + "\n"


def glossary_path(lang: str) -> Path:
    return DOCS_DIR / f"glossary-batch.{lang}.md"


def write_all() -> list[Path]:
    paths = []
    for lang in LANGUAGES:
        path = glossary_path(lang)
        path.write_text(render(lang), encoding="utf-8")
        paths.append(path)
    return paths

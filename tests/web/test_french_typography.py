"""French puts a no-break space (U+00A0) before a colon, a semicolon, a question mark
and an exclamation mark: "colonne 86 : …", not "colonne 86: …". The French catalogue,
the anomaly texts and the templates (which join translated words with punctuation of
their own) are held to it, so that a text cannot slip back."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings

from fla.declarations.anomalies import CATALOGUE as ANOMALIES

FRENCH = Path(settings.BASE_DIR) / "fla" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "fla" / app / "templates" for app in ("web", "batch")]
NO_BREAK = "\u00a0\u202f"
MARK = re.compile(r"[:;?!]")
# Written as they are, not as French: an address (https://…, http:), an HTTP header
# as it is sent (Content-Type: application/json).
_URL = re.compile(r"\b(?:https?|ftp|mailto):\S*")
_HEADER = re.compile(r"\b[A-Z][a-z]*(?:-[A-Z][a-z]*)+:(?= )")


def faults(text: str) -> list[str]:
    """The marks of ``text`` without their no-break space: after a breaking space, or
    right after a word (or a placeholder) where the mark ends the word. A mark inside a
    token is not one: 10:30, heures:minutes, ?status=, %(a)s:%(b)s."""
    text = _HEADER.sub("Header", _URL.sub("URL", text))
    found = []
    for match in MARK.finditer(text):
        start, end = match.span()
        before, after = text[start - 1 : start], text[end : end + 1]
        if not before or before in NO_BREAK:
            continue
        ends_word = not after or after.isspace() or after in ")]»\"'.,<"
        if before.isspace() or ends_word:
            found.append(text[max(0, start - 30) : end + 10])
    return found


def _unquote(line: str) -> str:
    text = line.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def french_messages() -> list[tuple[int, str]]:
    """Each msgstr of the French catalogue (each plural form apart), with its line; the
    header (the msgstr of msgid "") left out."""
    messages: list[list] = []
    msgid, field = None, None
    for number, line in enumerate(FRENCH.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("msgid "):
            msgid, field = _unquote(line[6:]), "msgid"
        elif line.startswith("msgid_plural "):
            field = "plural"
        elif line.startswith("msgstr"):
            field = "msgstr"
            messages.append([number, _unquote(line.split(" ", 1)[1]), msgid])
        elif line.startswith('"') and field == "msgid":
            msgid += _unquote(line)
        elif line.startswith('"') and field == "msgstr":
            messages[-1][1] += _unquote(line)
        elif not line.strip():
            field = None
    return [(number, text) for number, text, msgid in messages if msgid]


@pytest.mark.parametrize(
    "text",
    ["colonne 86: …", "Les XSD :", "Vide; rien", "Annuler ?", "Annuler!", "%(x)s: %(y)s",
     "ligne %(line)s:", "Voir (page 2): fin"],
)  # fmt: skip
def test_the_scan_finds_a_mark_without_its_no_break_space(text):
    assert faults(text), text


@pytest.mark.parametrize(
    "text",
    ["colonne 86\u00a0: …", "Les XSD\u00a0:", "Annuler\u202f?", "à 10:30", "7:30 heures",
     "Durée (heures:minutes)", "https://example.be/batch/?status=accepted voir",
     "http: et https:", "(Content-Type: application/json)", "%(a)s:%(b)s", "\u00a0:"],
)  # fmt: skip
def test_the_scan_leaves_what_is_not_french_punctuation(text):
    assert not faults(text), text


def test_the_french_catalogue_puts_a_no_break_space_before_its_marks():
    messages = french_messages()
    assert len(messages) > 400  # the catalogue was read
    wrong = {number: found for number, text in messages if (found := faults(text))}
    assert not wrong, wrong


def test_the_french_anomaly_texts_put_a_no_break_space_before_their_marks():
    wrong = {code: found for code, a in ANOMALIES.items() if (found := faults(a.fr))}
    assert not wrong, wrong


def test_the_french_texts_write_one_apostrophe():
    """The straight apostrophe, as most of the catalogue and the anomaly texts write it:
    not the typographic one (U+2019) in a few strings."""
    curly = {number: text for number, text in french_messages() if "\u2019" in text}
    assert not curly, curly
    assert not [code for code, a in ANOMALIES.items() if "\u2019" in a.fr]


def _visible_text(template: str) -> str:
    """A template's own text, as a French page shows it around the translated words:
    comments, scripts and the bodies of {% blocktranslate %} (in the catalogue) left out;
    a translated word and a variable each stand for a word; tags and markup dropped."""
    text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}|\{#.*?#\}", "", template, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
    text = re.sub(r"\{% blocktranslate\b.*?\{% endblocktranslate %\}", "word", text, flags=re.S)
    text = re.sub(r"\{% translate \"[:;?!]\" %\}", "\u00a0:", text)
    text = re.sub(r"\{% translate\b.*?%\}|\{\{.*?\}\}", "word", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|<[^>]*>", "", text, flags=re.S)
    return text.replace("&nbsp;", "\u00a0")


def test_the_templates_add_no_mark_of_their_own_without_its_space():
    """A label and its value are joined by {% translate ":" %}, which French writes
    with its no-break space, not by a colon in the template."""
    wrong = {}
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            found = faults(_visible_text(path.read_text(encoding="utf-8")))
            if found:
                wrong[str(path.relative_to(settings.BASE_DIR))] = found
    assert not wrong, wrong


def test_a_french_receipt_writes_its_line_and_column_the_french_way(world, client):
    client.force_login(world["user"])
    upload = io.BytesIO(b'<?xml version="1.0"?>\n<batch_file>\n  <unknown/>\n</batch_file>\n')
    upload.name = "bad.xml"
    response = client.post(
        "/batch/upload/", {"file": upload, "environment": "production"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"ligne 2, colonne \d+\u00a0: \S", body), body
    assert re.search(r"ligne \d+, colonne \d+: ", body) is None
    listing = client.get("/batch/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Les XSD\u00a0: <a" in listing

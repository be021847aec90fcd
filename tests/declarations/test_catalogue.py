from pathlib import Path

from django.conf import settings

from fla.declarations.anomalies import CATALOGUE, LANGUAGES, render_markdown


def test_docs_anomalies_is_up_to_date():
    committed = (Path(settings.BASE_DIR) / "docs" / "anomalies.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "run `fla render-anomalies` and commit docs/anomalies.md"


def test_every_anomaly_has_four_languages_and_a_severity():
    for code, anomaly in CATALOGUE.items():
        assert code[0] in "EW"
        assert anomaly.severity == ("blocking" if code.startswith("E") else "warning")
        for language in LANGUAGES:
            assert getattr(anomaly, language).strip(), (code, language)


def test_domain_cases_are_covered():
    # Every case the write path checks has its code in the catalogue (docs/anomalies.md).
    required = {
        "E001", "E002", "E003", "E004", "E005", "E006", "E007", "E008", "E009", "E011",
        "E012", "E013", "E014", "E016", "E017", "E018", "E022", "E023", "E024",
        "W001", "W002", "W003", "W004", "W005", "W006", "W007",
    }  # fmt: skip
    assert required <= set(CATALOGUE)


def test_messages_fill_their_parameters():
    message = CATALOGUE["E017"].message("fr", length=250, max=200)
    assert "250" in message and "200" in message
    assert CATALOGUE["E017"].message("xx", length=1, max=2).startswith("The text")

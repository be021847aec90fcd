"""WCAG 1.4.11 (non-text contrast): the parts of a graphic one needs to read it contrast at
least 3:1 with what is next to them. The credit's gauge (the worker's page), the bars
of the dashboard's tiles and the BATCH files' progress bars are drawn in the
stylesheet's colours: computed here from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "fla" / "web" / "static" / "web" / "fla.css"
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_VAR = re.compile(r"var\((--[\w-]+)\)")


def rules() -> dict[str, dict[str, str]]:
    """The declarations of each selector of the stylesheet, its custom properties
    resolved."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.DOTALL)
    found: dict[str, dict[str, str]] = {}
    for selectors, body in _RULE.findall(text):
        declarations = {}
        for declaration in body.split(";"):
            name, _, value = declaration.partition(":")
            if value.strip():
                declarations[name.strip()] = value.strip()
        for selector in selectors.split(","):
            found.setdefault(" ".join(selector.split()), {}).update(declarations)
    custom = found[":root"]

    def resolve(value: str) -> str:
        while match := _VAR.search(value):
            value = value.replace(match.group(0), custom[match.group(1)])
        return value

    return {s: {k: resolve(v) for k, v in d.items()} for s, d in found.items()}


def colour(rules: dict, selector: str, prop: str) -> str:
    value = rules[selector][prop]
    match = re.search(r"#[0-9a-fA-F]{6}\b", value)
    assert match, f"{selector} {prop}: {value}"
    return match.group(0)


def luminance(hex_colour: str) -> float:
    channels = []
    for i in (1, 3, 5):
        v = int(hex_colour[i : i + 2], 16) / 255
        channels.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


CSS_RULES = rules()
PAGE = colour(CSS_RULES, ":root", "background")
PANEL = colour(CSS_RULES, ".panel", "background")
TILE = colour(CSS_RULES, ".tile", "background")
TILE_HOVER = colour(CSS_RULES, "a.tile:hover", "background")
ALERT_TILE = colour(CSS_RULES, ".tile-alert", "background")

GAUGE_TRACK = colour(CSS_RULES, ".gauge-track", "stroke")
GAUGE_USED = colour(CSS_RULES, ".gauge-used", "stroke")
BAR_TRACKS = [
    colour(CSS_RULES, "progress.progress", "background"),
    colour(CSS_RULES, "progress.progress::-webkit-progress-bar", "background"),
]
BAR_VALUES = [
    colour(CSS_RULES, "progress.progress::-webkit-progress-value", "background"),
    colour(CSS_RULES, "progress.progress::-moz-progress-bar", "background"),
]


@pytest.mark.parametrize(("part", "colour_of_part"), [("track", GAUGE_TRACK), ("used", GAUGE_USED)])
def test_each_arc_of_the_gauge_contrasts_with_the_panel_it_is_drawn_on(part, colour_of_part):
    # The gauge is drawn in the credit's panel on the worker's page.
    assert contrast(colour_of_part, PANEL) >= 3, (part, colour_of_part, PANEL)
    assert contrast(colour_of_part, PAGE) >= 3, (part, colour_of_part, PAGE)


def test_the_used_arc_contrasts_with_the_remaining_one():
    assert contrast(GAUGE_USED, GAUGE_TRACK) >= 3


def test_the_legend_shows_the_colours_of_the_arcs():
    assert colour(CSS_RULES, ".legend-remaining::before", "background") == GAUGE_TRACK
    assert colour(CSS_RULES, ".legend-used::before", "background") == GAUGE_USED


@pytest.mark.parametrize(
    "behind",
    # The tiles' bars (a tile, hovered, alerting), and the BATCH files' progress bars:
    # the list's in a table (the panel's background), the file page's on the page.
    [TILE, TILE_HOVER, ALERT_TILE, PANEL, PAGE],
    ids=["tile", "tile-hover", "alert-tile", "batch-list", "batch-page"],
)
def test_the_bars_contrast_with_what_they_are_drawn_on_and_within(behind):
    for track in BAR_TRACKS:
        assert contrast(track, behind) >= 3, (track, behind)
        for value in BAR_VALUES:
            assert contrast(value, track) >= 3, (value, track)
            assert contrast(value, behind) >= 3, (value, behind)


BATCH_PROGRESS = (
    Path(__file__).resolve().parents[2] / "fla" / "batch" / "templates" / "batch" / "_progress.html"
)


def test_the_batch_progress_bar_is_drawn_in_the_stylesheets_colours():
    """Not in the browser's own style, whose light grey track hardly differs from the
    page: the bar of the BATCH list and file page is the tiles' bar."""
    bars = re.findall(r"<progress\b[^>]*>", BATCH_PROGRESS.read_text(encoding="utf-8"))
    assert bars and all(re.search(r'class="[^"]*\bprogress\b', bar) for bar in bars), bars
    assert "accent-color" not in CSS_RULES.get(".batch-progress progress.progress", {})

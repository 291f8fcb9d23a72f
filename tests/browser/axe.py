"""axe-core in the browser tests: the serious and critical WCAG 2.x A/AA violations of what a page shows.

scripts/install fetches the pinned axe-core from the npm registry into .vendor/ (git-ignored); the tests fail,
saying so, when it is missing.
"""

from collections import Counter
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / ".vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")

RUN = """async ([selector, tags]) => {
  const results = await axe.run(selector ? document.querySelector(selector) : document,
                                {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                                       targets: v.nodes.map(n => n.target.join(" "))}));
}"""


def axe_script() -> Path:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run scripts/install (it fetches the pinned axe-core from npm)")
    return AXE


def violations(page, selector: str | None = None) -> list[dict]:
    """Every WCAG 2.x A/AA violation on the page (or inside the selector's element), any impact."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    return page.evaluate(RUN, [selector, WCAG_TAGS])


def blocking(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in BLOCKING]


def describe(where: str, found: list[dict]) -> str:
    return "\n".join(
        f"{where}: {v['id']} ({v['impact']}) {v['help']} at {', '.join(v['targets'][:5])} — {v['helpUrl']}"
        for v in found
    )


class Figures:
    """What the accessibility tests checked and found, over both languages."""

    def __init__(self):
        self.pages = 0
        self.dialogs = 0
        self.impacts = Counter()

    def count(self, found: list[dict], *, dialog: bool):
        if dialog:
            self.dialogs += 1
        else:
            self.pages += 1
        self.impacts.update(v["impact"] for v in found)

    def summary(self) -> str:
        impacts = ", ".join(f"{self.impacts[i]} {i}" for i in ("critical", "serious", "moderate", "minor"))
        checked = f"{self.pages} pages and {self.dialogs} dialogs checked, in English and Indonesian"
        return f"axe-core: {checked}; violations: {impacts}"

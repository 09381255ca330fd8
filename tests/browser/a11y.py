"""Run axe-core (from the npm package, see package.json) in a Playwright page.

The site's Content-Security-Policy forbids inline and injected scripts, so the
helper does not add a <script> tag: it evaluates axe's source through the
DevTools protocol (``page.evaluate``), which CSP does not govern. The page under
test keeps its real CSP, so a check never passes because the policy was relaxed.
"""

import os
from functools import cache
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Every WCAG 2.x level A and AA rule axe knows.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(" "),
      html: n.html.slice(0, 200),
      summary: n.failureSummary,
    })),
  }));
}"""


@cache
def axe_source() -> str:
    if not AXE_JS.exists():
        message = f"{AXE_JS} is missing: run `make axe` (npm ci) first."
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """The WCAG 2 A/AA violations of the page as loaded now, at the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # `;0` makes the result a number, so Playwright does not serialise axe itself.
        page.evaluate(axe_source() + "\n;0")
    violations = page.evaluate(_RUN_AXE, WCAG_TAGS)
    return [v for v in violations if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    """One readable block per violation: the rule, why, and the offending elements."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}  {node['html']}")
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)

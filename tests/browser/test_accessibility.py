"""axe-core finds no serious or critical accessibility problem on the main pages.

Each page is checked on a desktop and on a phone, in the light and in the dark
colour scheme, and a full-page screenshot of what was checked is saved to
var/screenshots/<page>-<viewport>-<scheme>.png for a reviewer to look at.
axe-core comes from the npm registry (package.json, `npm ci`) and is injected
by the test only: readers never load it.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# WCAG 2.1 A and AA and axe's best practices; problems rated serious or
# critical fail the test. In the dark scheme only the rules that depend on
# colour are run again, since nothing else changes with it.
AXE_RULES = {
    "light": {
        "runOnly": {
            "type": "tag",
            "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
        }
    },
    "dark": {"runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}},
}
FAILING_IMPACTS = {"serious", "critical"}


def main_pages(reader_archive):
    return {
        "home": "/",
        "search": "/search/?q=Uighurs",
        "article": reader_archive["article"] + "?hl=Kazakhstan",
        "entity": reader_archive["entity"],
        "month": "/dates/2021/02/",
        "quotes": "/quotes/?q=mercy",
        "about": "/about/",
    }


# axe does not check that a form field's edge stands out from the page (WCAG
# 1.4.11, 3:1 for the parts of a control one must see to use it): this does.
FAINT_FIELD_EDGES = """() => {
    const rgb = colour => colour.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const luminance = colour => {
        const [r, g, b] = rgb(colour).map(c => c / 255).map(
            c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
        const [dark, light] = [luminance(a), luminance(b)].sort((x, y) => x - y);
        return (light + 0.05) / (dark + 0.05);
    };
    const page = getComputedStyle(document.documentElement).backgroundColor;
    return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
        .filter(field => field.offsetParent !== null)
        .map(field => [field.id || field.name || field.textContent.trim(),
                       ratio(getComputedStyle(field).borderTopColor, page)])
        .filter(([, contrast]) => contrast < 3)
        .map(([field, contrast]) => `field ${field}: edge contrast ${contrast.toFixed(2)}:1 < 3:1`);
}"""


def serious_violations(page, scheme):
    """axe-core's serious and critical findings; the page must have axe-core injected."""
    options = {**AXE_RULES[scheme], "resultTypes": ["violations"]}
    results = page.evaluate("options => axe.run(document, options)", options)
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(where, violation):
    """One violation as a reader of the test output wants it: what, why, and where."""
    lines = [f"{where}: [{violation['impact']}] {violation['id']}: {violation['help']}"]
    for node in violation["nodes"][:5]:
        summary = " ".join(node["failureSummary"].split())
        lines.append(f"    {' '.join(node['target'])}: {summary}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_main_pages_have_no_serious_accessibility_problem(
    live_server, open_page, reader_archive, axe_script, screenshots, viewport
):
    page = open_page(viewport, axe=True)
    problems = []
    for name, path in main_pages(reader_archive).items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.add_script_tag(path=axe_script)
        for scheme in ["light", "dark"]:
            page.emulate_media(color_scheme=scheme)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
                scheme == "dark"
            )
            page.screenshot(path=screenshots / f"{name}-{viewport}-{scheme}.png", full_page=True)
            where = f"{name} ({path}, {viewport}, {scheme})"
            problems += [describe(where, v) for v in serious_violations(page, scheme)]
            problems += [f"{where}: {edge}" for edge in page.evaluate(FAINT_FIELD_EDGES)]
    assert not problems, "axe-core and the field-edge check found:\n" + "\n".join(problems)


def test_a_serious_problem_would_be_reported(live_server, open_page, axe_script):
    """The check can fail: grey on grey text is caught and described."""
    page = open_page(axe=True)
    page.goto(live_server.url + "/about/")
    page.evaluate(
        "document.querySelector('main p').style.cssText = 'color: #bbb; background: #ccc'"
    )
    page.evaluate("document.querySelector('#site-search-q').style.borderColor = '#ddd'")
    assert page.evaluate(FAINT_FIELD_EDGES) == ["field site-search-q: edge contrast 1.32:1 < 3:1"]
    page.add_script_tag(path=axe_script)
    found = serious_violations(page, "light")
    assert [v["id"] for v in found] == ["color-contrast"]
    assert describe("about", found[0]).startswith(
        "about: [serious] color-contrast: Elements must meet minimum color contrast ratio"
    )

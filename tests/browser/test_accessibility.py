"""axe-core finds no serious or critical WCAG 2 A/AA violation on any public page.

Each page is checked at desktop width and at a phone's 360 px, where the header
and tables are laid out differently.
"""

import pytest

from .a11y import axe_violations, describe


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_public_pages_have_no_serious_axe_violations(request, viewport, site_pages):
    page = request.getfixturevalue(viewport)
    failures = []
    for public_page in site_pages:
        response = page.goto(public_page.path)
        assert response.status == public_page.status, public_page.path
        violations = axe_violations(page)
        if violations:
            failures.append(f"{public_page.path}\n{describe(violations)}")
    assert not failures, "\n\n".join(failures)


def test_axe_reports_a_violation_it_is_shown(page, site_pages):
    # The check itself can fail: an image without alternative text is a critical violation.
    page.goto(site_pages[0].path)
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = 'data:,'; "
        "document.querySelector('main').append(i); }"
    )
    assert "image-alt" in {v["id"] for v in axe_violations(page)}

"""GET /employers: a plain list as before, a page at a time, the next page in Link."""

from __future__ import annotations

import re

from fla.accounts.models import Mandate
from tests import factories
from tests.api.conftest import API


def _mandated(world, count: int) -> list[str]:
    mandatary = Mandate.objects.get(employer=world.mandated.employer).mandatary
    for n in range(count):
        factories.mandate(mandatary, factories.make_employer(f"Client {n}"))
    numbers = Mandate.objects.filter(mandatary=mandatary).values_list(
        "employer__enterprise_number", flat=True
    )
    return sorted(numbers)


def test_pages_follow_the_link_header(world, as_mandatary):
    expected = _mandated(world, 6)
    url, seen, pages = "employers?limit=3", [], 0
    while url:
        response = as_mandatary.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        assert isinstance(page, list) and len(page) <= 3
        seen += [e["enterprise_number"] for e in page]
        pages += 1
        link = response.get("Link")
        if link is None:
            break
        [target] = re.fullmatch(r'<([^>]+)>; rel="next"', link).groups()
        assert target.startswith(f"{API}/employers?limit=3&cursor=")
        url = target
    assert seen == expected and pages == 3
    assert world.foreign.employer.enterprise_number not in seen


def test_without_a_limit_the_list_is_whole_and_has_no_link(world, as_mandatary):
    expected = _mandated(world, 4)
    response = as_mandatary.get("employers")
    assert [e["enterprise_number"] for e in response.json()] == expected
    assert not response.has_header("Link")
    assert {e["relation"] for e in response.json()} == {"mandate"}


def test_a_page_has_its_own_etag(world, as_mandatary):
    _mandated(world, 3)
    first = as_mandatary.get("employers?limit=2")
    whole = as_mandatary.get("employers")
    assert first["ETag"] != whole["ETag"]
    assert (
        as_mandatary.get("employers", headers={"If-None-Match": whole["ETag"]}).status_code == 304
    )

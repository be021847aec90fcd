"""A page left open once the session ends: its htmx polling leads to the login page
instead of swapping the login page into the progress bar."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from fla.batch import services


def _file_id(world) -> int:
    receipt = services.receive(world.caller, io.BytesIO(world.file()), production=True)
    assert receipt.accepted, receipt.errors
    return receipt.file_id


def test_a_poll_without_session_makes_htmx_load_the_login_page(world):
    file_id = _file_id(world)
    response = Client().get(
        f"/batch/{file_id}/progress/",
        {"page": "detail"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/batch/{file_id}/?status=rejected",
    )
    # Nothing to swap (204, which htmx does not swap), and where to go instead; not a
    # 401, which HTTP gives only with a WWW-Authenticate challenge.
    assert response.status_code == 204 and "WWW-Authenticate" not in response
    assert "no-store" in response["Cache-Control"]
    # Back to the page the user was on once logged in, not to the polled fragment.
    assert response["HX-Redirect"] == f"/login/?next=/batch/{file_id}/%3Fstatus%3Drejected"
    assert response.content == b""


def test_the_list_poll_without_session_too(world):
    file_id = _file_id(world)
    response = Client().get(
        f"/batch/{file_id}/progress/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/batch/",
    )
    assert response.status_code == 204 and response["HX-Redirect"] == "/login/?next=/batch/"


def test_a_page_of_another_site_is_not_where_the_login_leads(world):
    file_id = _file_id(world)
    response = Client().get(
        f"/batch/{file_id}/progress/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="https://evil.example/batch/",
    )
    assert response["HX-Redirect"] == "/login/?next=/"


def test_a_request_that_is_not_htmx_is_still_redirected(world):
    file_id = _file_id(world)
    response = Client().get(f"/batch/{file_id}/progress/")
    assert response.status_code == 302 and "HX-Redirect" not in response
    assert response["Location"] == f"/login/?next=/batch/{file_id}/progress/"


def test_a_logged_in_poll_is_unchanged(world):
    file_id = _file_id(world)
    client = Client()
    client.force_login(world.user)
    response = client.get(f"/batch/{file_id}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert b"<progress" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "current", ["http://[oops/batch/1/", "http://testserver//evil.example/x", "/\\evil.example/"]
)
def test_an_odd_current_url_leads_to_the_login_and_back_home(current):
    """Not a URL, or a path that would lead to another site: back to the start page."""
    response = Client().get(
        "/batch/1/progress/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=current
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/")
    assert "evil" not in response["HX-Redirect"]

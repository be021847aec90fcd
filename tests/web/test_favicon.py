"""The icon: linked by the pages, and ``/favicon.ico`` (which browsers ask for anyway)
leads to it, in development and with the production's hashed static files."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, override_settings

LINK = '<link rel="icon" href="{}" type="image/svg+xml">'


def _served(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("image/svg+xml")
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon_the_pages_link():
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/web/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 302
    assert client.post("/favicon.ico").status_code == 405
    icon = ET.fromstring(_served(client, response["Location"]))
    assert icon.tag == "{http://www.w3.org/2000/svg}svg"
    assert LINK.format("/static/web/favicon.svg") in client.get("/").content.decode()
    # The static error page, rendered without a request, links it too.
    assert LINK.format("/static/web/favicon.svg") in render_to_string("500.html")


@pytest.mark.django_db
def test_favicon_ico_with_the_production_static_files(tmp_path, settings):
    """Hashed by the manifest, served by whitenoise from STATIC_ROOT (no finders)."""
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "fla.ops.storage.StaticStorage"}}
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES=storages, WHITENOISE_USE_FINDERS=False, DEBUG=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()  # its middleware, whitenoise too, is made with these settings
        location = client.get("/favicon.ico")["Location"]
        assert re.fullmatch(r"/static/web/favicon\.[0-9a-f]{12}\.svg", location), location
        assert location in client.get("/").content.decode()
        response = client.get(location)
        assert "immutable" in response["Cache-Control"]
        assert b"<svg" in _served(client, location)

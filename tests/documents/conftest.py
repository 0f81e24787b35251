from __future__ import annotations

import os

import pytest
from django.core.cache import cache

from tests.documents.helpers import TTF_PATH


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Stored notices and batch ZIPs go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The objection rate limit of the notices app lives in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["cid", "ttf"])
def font(request, settings) -> str:
    """Each PDF test runs with both font settings: the built-in STSong-Light (CID, not
    embedded) and an embedded, subset TrueType font (Debian's fonts-wqy-zenhei)."""
    if request.param == "ttf":
        if not os.path.isfile(TTF_PATH):
            message = f"{TTF_PATH} missing: apt-get install fonts-wqy-zenhei"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        settings.PDF_FONT_PATH = TTF_PATH
    else:
        settings.PDF_FONT_PATH = ""
    return request.param

"""The spam tests reuse the API tests' token fixtures (a conftest's fixtures reach only its own folder)."""

from tests.api.conftest import as_user, token_for  # noqa: F401

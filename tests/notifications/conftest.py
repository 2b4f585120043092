from tests.cases.conftest import new_case, shared_case, world  # noqa: F401 - shared personas

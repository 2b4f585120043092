from tests.cases.conftest import new_case, shared_case, world  # noqa: F401 - shared personas
from tests.smtp import smtp  # noqa: F401 - the SMTP server fixture

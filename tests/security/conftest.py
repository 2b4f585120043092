# The case and deconfliction personas, shared with the security tests.
from tests.cases.conftest import new_case, shared_case, world  # noqa: F401
from tests.deconfliction.conftest import case_of, desks  # noqa: F401
from tests.smtp import smtp  # noqa: F401 - the SMTP server fixture

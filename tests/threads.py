"""Running test code in threads at the same time (races, locks, chain heads)."""

import threading
from collections.abc import Callable, Iterable

from django.db import connection


def run_in_threads(target: Callable[..., object], args: Iterable[tuple]) -> list[BaseException]:
    """Run ``target(*a)`` for each ``a`` in ``args``, each in a thread of its own and so on a
    database connection of its own (closed when the thread ends). Returns the exceptions the
    threads raised, for the test to assert there were none."""
    errors: list[BaseException] = []

    def run(*arguments):
        try:
            target(*arguments)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=arguments) for arguments in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors

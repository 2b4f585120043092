"""``field__any=[...]``: membership in a list, as one array parameter on PostgreSQL.

``field__in`` writes one placeholder per value. Matching a batch of selectors looks up
thousands of digests at a time, and building and parsing statements with 2,000 placeholders
cost more than the index lookups themselves (issue 10's benchmark). On PostgreSQL this is
``field = ANY(%s)`` with the list as a single array; elsewhere it is the ordinary ``IN``.
"""

from django.db.models import CharField, Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not isinstance(self.rhs, list | tuple | set | frozenset):
            return super().as_sql(compiler, connection)  # a subquery: IN (SELECT ...)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        cast = "varchar" if isinstance(self.lhs.output_field, CharField) else self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{cast}[])", [*lhs_params, values]

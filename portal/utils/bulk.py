"""Inserting many rows at once: PostgreSQL's COPY where available, bulk_create elsewhere.

A batch of 10,000 selectors through ``bulk_create`` spent most of its time building one
INSERT of 170,000 parameters (Django preparing each value, psycopg rewriting the
placeholders) before PostgreSQL saw a row: issue 10's benchmark. COPY streams the rows
instead. The primary keys are taken from the table's sequence first, in one query, so the
objects come back with their ids as they do from ``bulk_create``.
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model

# Field types whose Python values psycopg adapts itself, exactly as Django's PostgreSQL backend
# passes them on (strings, numbers, booleans, UUIDs, aware datetimes, foreign-key ids). Other
# fields (JSON, arrays, ...) are prepared by Django as bulk_create would.
_PLAIN = {
    "CharField",
    "TextField",
    "BooleanField",
    "SmallIntegerField",
    "IntegerField",
    "BigIntegerField",
    "PositiveSmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "UUIDField",
    "DateTimeField",
}


def insert_many(objs: Sequence[Model]) -> None:
    """Insert unsaved instances of one model (no conflicts expected: the caller checked, under
    its locks) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < 100:
        model.objects.bulk_create(objs)
        return
    db = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if field is not pk]
    plain = [field.is_relation or field.get_internal_type() in _PLAIN for field in fields]
    for obj in objs:
        # What bulk_create does before saving: fields with automatic values get them now.
        for field in fields:
            field.pre_save(obj, add=True)
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(db.ops.quote_name(column) for column in [pk.column, *(f.column for f in fields)])
        with cursor.cursor.copy(f"COPY {db.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj, obj_id in zip(objs, ids, strict=True):
                row = [obj_id]
                for field, is_plain in zip(fields, plain, strict=True):
                    value = getattr(obj, field.attname)
                    row.append(value if is_plain else field.get_db_prep_save(value, db))
                copy.write_row(row)
    for obj, obj_id in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, obj_id)
        obj._state.adding, obj._state.db = False, db.alias

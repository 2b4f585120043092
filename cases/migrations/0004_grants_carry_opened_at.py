"""The grant rows carry their case's opened_at, so that they are the case list's access table
(issue 10's benchmark; cases.models.CaseGroupObjectPermission)."""

from django.db import migrations, models

# A correlated subquery rather than UPDATE ... FROM: SQLite runs it too.
_FILL = "UPDATE {table} SET opened_at = (SELECT c.opened_at FROM cases_case c WHERE c.id = {table}.content_object_id)"


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_grant_covering_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="casegroupobjectpermission", name="opened_at", field=models.DateTimeField(null=True)
        ),
        migrations.AddField(
            model_name="caseuserobjectpermission", name="opened_at", field=models.DateTimeField(null=True)
        ),
        migrations.RunSQL(_FILL.format(table="cases_casegroupobjectpermission"), migrations.RunSQL.noop),
        migrations.RunSQL(_FILL.format(table="cases_caseuserobjectpermission"), migrations.RunSQL.noop),
        migrations.AlterField(model_name="casegroupobjectpermission", name="opened_at", field=models.DateTimeField()),
        migrations.AlterField(model_name="caseuserobjectpermission", name="opened_at", field=models.DateTimeField()),
        migrations.RemoveIndex(model_name="casegroupobjectpermission", name="case_group_grant_covering"),
        migrations.RemoveIndex(model_name="caseuserobjectpermission", name="case_user_grant_covering"),
        migrations.AddIndex(
            model_name="casegroupobjectpermission",
            index=models.Index(
                fields=["group", "permission", "-opened_at", "-content_object"],
                include=("expires_at",),
                name="case_group_grant_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="caseuserobjectpermission",
            index=models.Index(
                fields=["user", "membership", "permission", "-opened_at", "-content_object"],
                include=("expires_at",),
                name="case_user_grant_newest",
            ),
        ),
    ]

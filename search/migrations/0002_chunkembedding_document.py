import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_document_document_title_trgm"),
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunkembedding",
            name="document",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="documents.document",
            ),
        ),
        migrations.RunSQL(
            "UPDATE search_chunkembedding e SET document_id = c.document_id "
            "FROM search_documentchunk c WHERE c.id = e.chunk_id",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="chunkembedding",
            name="document",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="documents.document",
            ),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_chunkembedding_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="chunkembedding",
            name="collection_id",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="chunkembedding",
            name="trashed",
            field=models.BooleanField(default=False),
        ),
        migrations.RunSQL(
            "UPDATE search_chunkembedding e SET collection_id = d.collection_id, trashed = d.trashed_at IS NOT NULL "
            "FROM documents_document d WHERE d.id = e.document_id",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]

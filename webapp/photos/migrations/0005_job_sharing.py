from django.db import migrations, models

HELP = "Whether the share link works: off until the owner shares the result."


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0004_verbose_names"),
    ]

    # Results made before this change had their link from the upload: it keeps working.
    # New results are shared only when their owner asks.
    operations = [
        migrations.AddField(
            model_name="job",
            name="sharing",
            field=models.BooleanField(default=True, help_text=HELP),
        ),
        migrations.AlterField(
            model_name="job",
            name="sharing",
            field=models.BooleanField(default=False, help_text=HELP, verbose_name="sharing"),
        ),
    ]

"""``api_isoformat(timestamptz, zone)``: a timestamp as the API renders it
(Python's ``isoformat()`` in ``zone``, "Z" for a zero offset, no fraction
when the microseconds are zero), so PostgreSQL can build list pages that
match what the serializers write. A single-expression SQL function, which
the planner inlines."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION api_isoformat(ts timestamptz, zone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT to_char(ts AT TIME ZONE zone, 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_part('microseconds', ts)::bigint % 1000000 = 0 THEN ''
            ELSE to_char(ts AT TIME ZONE zone, '.US') END
    || CASE WHEN (ts AT TIME ZONE zone) = (ts AT TIME ZONE 'UTC') THEN 'Z'
            WHEN (ts AT TIME ZONE zone) < (ts AT TIME ZONE 'UTC')
                THEN '-' || to_char((ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE zone), 'HH24:MI')
            ELSE '+' || to_char((ts AT TIME ZONE zone) - (ts AT TIME ZONE 'UTC'), 'HH24:MI') END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("api", "0001_api_keys")]

    operations = [
        migrations.RunSQL(CREATE, reverse_sql="DROP FUNCTION IF EXISTS api_isoformat(timestamptz, text);"),
    ]

"""Settings package: ``base`` declares everything; ``local``, ``test`` and
``production`` adjust it. ``catalog_site.environment`` picks one."""

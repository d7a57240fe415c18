"""The staff pages: thin views over the selectors, ``search()`` and the
document services."""

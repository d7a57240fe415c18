"""Operations: integrity checks, tidy jobs, catalog export and import."""

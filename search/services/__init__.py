"""Search services: indexing, embeddings and queries."""

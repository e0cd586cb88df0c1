"""Cross-cutting pieces every slice uses: settings, auth, errors, audit, idempotency, OpenAPI."""

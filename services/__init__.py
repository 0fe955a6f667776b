"""Use cases: what handlers, scheduled jobs and CLI commands call. Each opens one short
transaction, applies domain rules, and records outgoing messages in the outbox."""

"""The outbox sender and the Slack gateway it talks through."""

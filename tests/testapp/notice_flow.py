"""Placeholder replaced by the notices work: a test-only record with a public-notice flow."""

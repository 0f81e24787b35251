"""Placeholder: replaced by the demo-records work."""


def seed_demo_records() -> int:
    return 0

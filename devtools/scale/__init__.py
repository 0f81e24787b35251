"""Bulk builders behind ``manage.py seed_scale``: the organization tree, the two flows'
records with their history, and the audit chain written in bulk (see the command's docstring).
"""

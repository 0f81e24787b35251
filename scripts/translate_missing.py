"""Fill English translations into locale/en from a {msgid: msgstr} JSON file and clear the
fuzzy flags of those entries (a maintainer's helper after makemessages; needs polib)."""

import json
import sys

import polib

po = polib.pofile("locale/en/LC_MESSAGES/django.po")
table = json.load(open(sys.argv[1], encoding="utf-8"))
for entry in po:
    if entry.msgid in table:
        value = table[entry.msgid]
        if entry.msgid_plural:
            entry.msgstr_plural = {0: value[0], 1: value[1]} if isinstance(value, list) else {0: value, 1: value}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
        entry.previous_msgctxt = None
missing = [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]
po.save()
print("still missing:", missing)

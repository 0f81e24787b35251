"""The audit ledger: per-record hash chains sequenced into one append-only Merkle tree log
(RFC 9162, the Certificate Transparency tree) with signed checkpoints.

- ``merkle``: the tree's hashes, proofs and their verification (pure functions, no Django);
- ``signing``: the Ed25519 key outside the database and the checkpoint note it signs;
- ``sequencer``: appends committed events to the log and issues checkpoints, outside the
  users' transactions;
- ``verify``: re-computes every chain, leaf, root, signature and the checkpoint file;
- ``proofs``: a record's events with their inclusion proofs against a signed checkpoint.
"""

"""PDF renderers: plain dataclasses in, PDF bytes out; no database, no Django needed.

One module per kind of document: ``application_form`` (申报书), ``approval_notice`` (立项通知书),
``table_document`` (立项名单, 公示名单, 审计记录), ``certificate`` (荣誉证书, landscape, for the
nominations). ``base`` holds the A4 page, text styles and the footer with the verification
code; ``flowables`` the lean text block and grid every kind is built from; ``fonts`` the
once-per-process font registration; ``samples`` realistic data for the benchmark and tests.
``documents.data`` builds the dataclasses from the models; ``documents.services`` issues
the verification codes.

A new kind: a frozen dataclass, a ``render_<kind>(data, *, font_path=None) -> bytes`` that
makes a story of ``base.text`` / ``base.table`` flowables and calls ``base.build_pdf``
(``landscape=True`` for a certificate), a ``DocumentKind``, and a service that issues it.
"""

"""The plugin author's toolkit: what the built-in plugins use to read hostile content safely.

A plugin imports :mod:`validator_core` (hooks, ``Inspection``, ``Proof``, ``finding``) and, for the
content it inspects, these modules — the same ones the built-ins use, with the same guarantees:

- :mod:`validator_core.toolkit.text` — bytes to text (BOMs, UTF-16, charset detection), identities
  (NIR with a valid key, INS OIDs) and secrets (private keys, tokens, passwords) found and masked, in
  time linear in the input (RE2); ``linear()`` compiles your own patterns the same way.
- :mod:`validator_core.toolkit.xml` — XML parsed with a hardened lxml parser (no DTD, no entity, no
  network, no huge tree), and the DOCTYPE a file declared reported instead of loaded.
- :mod:`validator_core.toolkit.urls` — URLs found in text, parsed as a browser parses them (WHATWG,
  ada), lookalike hosts told apart, credentials masked before a URL enters a report.
- :mod:`validator_core.toolkit.screens` — is a picture as large as a readable screen?
- :mod:`validator_core.toolkit.pdf` — a PDF opened with qpdf (pikepdf) under decoding limits.

Every limit is a parameter: the numbers belong in the rules (``[thresholds.<plugin>]``, read with
``proof.thresholds("<plugin>")``), never in this package.

Import cost: ``text`` and ``xml`` compile their patterns and load RE2, python-stdnum and lxml when
imported (~30 ms), ``pdf`` loads pikepdf on first use. The engine imports every plugin module in the
service process for its messages and declarations, so import these from the code that inspects (a
helper module your ``preuves_inspect`` imports, as ``plugins/logs.py`` does) and name them in your
module's ``PRELOAD`` tuple: worker processes then get them already loaded.

For what a plugin prints itself (a command's listing, figures), :mod:`validator_core.wording` is
re-exported here as ``wording`` — the words every message uses: ``count(3, "preuve", "preuves", lang)``
« 3 preuves », ``number``, ``percent`` « 99,7 % », ``size`` « 60 Mo », ``format_name``, ``either`` /
``both``. Finding messages need none of it: their templates' specs say the same (``{n:count:…}``).
"""

from validator_core import wording  # re-exported: plugins format their own output as the core does

__all__ = ["wording"]

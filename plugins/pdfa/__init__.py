"""PDF/A-1b conformance (ISO 19005-1:2005, level B): a helper package of the ``pdf_report`` plugin,
as :mod:`plugins.video_frames` is of ``video``; not a plugin itself.

- :mod:`plugins.pdfa.rules`: the rules as data (id, clause, object kind, test, French and English);
- :mod:`plugins.pdfa.checker`: one walk of the document that makes each object and hands it to the
  rules of its kind, bounded in work (:class:`~plugins.pdfa.checker.Budget`);
- :mod:`plugins.pdfa.filebytes`, :mod:`~plugins.pdfa.content`, :mod:`~plugins.pdfa.colour`,
  :mod:`~plugins.pdfa.fonts`, :mod:`~plugins.pdfa.xmp` (+ :mod:`~plugins.pdfa.xmp_schemas`): what
  each family of objects is made from (the bytes, content streams, colour, fonts, XMP).

``pdf_report`` runs :func:`check` on the document it already opened with pikepdf (qpdf's limits
set) when the file claims PDF/A-1 or its proof asks for it, and reports the failed clauses.
"""

from plugins.pdfa.checker import Budget, check
from plugins.pdfa.rules import RULES, RULES_BY_ID, describe

__all__ = ["Budget", "RULES", "RULES_BY_ID", "check", "describe"]

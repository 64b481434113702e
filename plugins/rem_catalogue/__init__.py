"""Built-in plugin `rem_catalogue`: the vague-2 REM catalogue (ANS pre-publication, March 2023).

An ordinary plugin, written against the hooks a new DSR's requirements plugin would use; the core
keeps only the machinery every catalogue shares (:mod:`validator_core.catalogue`). One module per job:

- ``register.py`` — ``preuves_register_requirements``: the requirements, scenarios and proofs of the
  DB, LGC, BIO, RIS, DPI and PFI REMs, from the packaged ``data/rem-catalogue.json``;
- ``build.py`` — ``python -m plugins.rem_catalogue.build`` regenerates that file from the ANS export
  (``source/rem-prepub-2023.json``), reading its ids leniently and classifying each proof as it is
  stored;
- ``classify.py`` — the type rules ("vidéo ou copies d'écran" → ``video`` + ``screenshot``, "au
  format PDF/A-1" → ``pdf_report`` …) and ``preuves_classify_proof`` (``trylast``) for proofs
  registered unclassified; ``expectations.py`` (with ``folding.py``) — what the proof, scenario and
  requirement texts expect, each with its source and the words quoted; ``conditions.py`` — when a
  proof applies (« Si le système est référentiel d'identité », « [Si modalité de type : …] »);
- ``checks.py`` — ``preuves_check_requirement``: a PDF/A-1 claim (read from the ``pdf_report``
  plugin's facts), then ``check_media.py`` (video or still image, full screen), ``check_files.py``
  (file name and format, SMTP message and headers, HL7 v2 type, ZIP contents) and ``check_links.py``
  (report link platform and test case);
- ``messages.py`` — ``preuves_register_messages``: the ``requirement.*`` codes it emits;
- ``commands.py`` — the ``preuves requirements`` command (``preuves_register_commands``).

It inspects no file itself: it reads the facts the other plugins reported.
"""

from plugins.rem_catalogue.checks import preuves_check_requirement
from plugins.rem_catalogue.classify import preuves_classify_proof
from plugins.rem_catalogue.commands import preuves_register_commands
from plugins.rem_catalogue.messages import preuves_register_messages
from plugins.rem_catalogue.register import preuves_register_requirements

__version__ = "1.0.0"

__all__ = [
    "preuves_check_requirement", "preuves_classify_proof", "preuves_register_commands",
    "preuves_register_messages", "preuves_register_requirements",
]

"""What other domains plug into the certificates domain (blinker signals, connected by the higher domains).

Every signal is sent with the learner (a ``User``) as sender.
"""

from blinker import Namespace

_signals = Namespace()

download_blocked = _signals.signal("download-blocked")
"""What a learner must still do before downloading their own certificate (it is issued: eligibility is unchanged).

Sent by ``certificates.service.download_blockers`` with ``certificate`` and ``cohort``. Each receiver returns None
or ``(code, value)``: ``("survey", round id)``, the cohort asks for its end-of-course survey first. Trainers and
admins are never blocked. Connected in ``lms/evaluation/handlers.py``."""

"""Personal data in the notebook's frames: which columns hold it (``detect``) and keeping it out
of what is logged to the registry (``redact``)."""

from .detect import KIND_LABELS, label, personal_data_columns, scan_frames
from .redact import drop_columns, redact_contract, redact_example, redact_profile

__all__ = [
    "KIND_LABELS",
    "drop_columns",
    "label",
    "personal_data_columns",
    "redact_contract",
    "redact_example",
    "redact_profile",
    "scan_frames",
]

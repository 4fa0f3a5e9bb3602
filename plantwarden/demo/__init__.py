"""A self-contained demo: a small virtual plant written straight to a pcap file (no root, no network).

``generate_demo_capture(path, seed)`` writes the capture and a labels file beside it;
``generate_history_captures(folder)`` the plant's normal operation on the days before, for learning the
process; see docs/demo.md.
"""

from plantwarden.demo.plant import generate_demo_capture, generate_history_captures, labels_path

__all__ = ["generate_demo_capture", "generate_history_captures", "labels_path"]

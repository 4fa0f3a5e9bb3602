"""A self-contained demo: a small virtual plant written straight to a pcap file (no root, no network).

``generate_demo_capture(path, seed)`` writes the capture and a labels file beside it; see docs/demo.md.
"""

from plantwarden.demo.plant import generate_demo_capture, labels_path

__all__ = ["generate_demo_capture", "labels_path"]

"""The only packet I/O of plantwarden: capture readers, link/IP/TCP/UDP, reassembly, decoder choice."""

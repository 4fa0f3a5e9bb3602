"""ISO transport over TCP (TPKT + COTP), shared by the S7comm and MMS decoders."""

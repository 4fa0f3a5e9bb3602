"""Sans-IO industrial protocol decoders, one subpackage per protocol. See ``base.Decoder``."""

"""Telnet command and option codes (RFC 854/855 and the IANA option registry)."""

from __future__ import annotations

IAC = 255
SB = 250
SE = 240
WILL, WONT, DO, DONT = 251, 252, 253, 254

COMMANDS: dict[int, str] = {
    240: "SE", 241: "NOP", 242: "DM", 243: "BRK", 244: "IP", 245: "AO", 246: "AYT", 247: "EC", 248: "EL",
    249: "GA", 250: "SB", 251: "WILL", 252: "WONT", 253: "DO", 254: "DONT",
}

_OPTIONS: dict[int, str] = {
    0: "binary", 1: "echo", 2: "reconnection", 3: "suppress-go-ahead", 4: "approx-message-size", 5: "status",
    6: "timing-mark", 7: "rcte", 8: "output-line-width", 9: "output-page-size", 10: "naocrd", 11: "naohts",
    12: "naohtd", 13: "naoffd", 14: "naovts", 15: "naovtd", 16: "naolfd", 17: "extended-ascii", 18: "logout",
    19: "byte-macro", 20: "data-entry-terminal", 21: "supdup", 22: "supdup-output", 23: "send-location",
    24: "terminal-type", 25: "end-of-record", 26: "tacacs-user-id", 27: "output-marking",
    28: "terminal-location-number", 29: "tn3270-regime", 30: "x3-pad", 31: "window-size", 32: "terminal-speed",
    33: "remote-flow-control", 34: "linemode", 35: "x-display-location", 36: "environment", 37: "authentication",
    38: "encryption", 39: "new-environment", 40: "tn3270e", 41: "xauth", 42: "charset", 43: "rsp",
    44: "com-port-control", 45: "suppress-local-echo", 46: "start-tls", 47: "kermit", 48: "send-url",
    49: "forward-x", 138: "pragma-logon", 139: "sspi-logon", 140: "pragma-heartbeat",
    255: "extended-options-list",
}

#: option code -> name, ``unknown-<n>`` for the rest (a tuple: indexing is the hot path)
OPTION_NAMES: tuple[str, ...] = tuple(_OPTIONS.get(i, f"unknown-{i}") for i in range(256))
#: "WILL echo" style strings for the four negotiation verbs, precomputed
NEGOTIATION: dict[int, tuple[str, ...]] = {v: tuple(f"{COMMANDS[v]} {o}" for o in OPTION_NAMES)
                                           for v in (WILL, WONT, DO, DONT)}
COMMAND_NAMES: tuple[str, ...] = tuple(COMMANDS.get(i, f"unknown-{i}") for i in range(256))

TERMINAL_TYPE, WINDOW_SIZE, TERMINAL_SPEED, X_DISPLAY, NEW_ENVIRON, OLD_ENVIRON = 24, 31, 32, 35, 39, 36
#: options whose negotiation means the session may be protected
PROTECTING = frozenset((37, 38, 46))

#: the end of a server line that asks for a user name / a password (lower case, trailing blanks removed)
USER_PROMPTS = (b"login:", b"username:", b"user name:", b"user:", b"userid:", b"user id:")
PASSWORD_PROMPTS = (b"password:", b"passwd:", b"passcode:", b"pin:")

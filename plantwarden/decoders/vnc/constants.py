"""RFB security types, message types and encodings (RFC 6143 and the IANA RFB registry)."""

from __future__ import annotations

_SECURITY: dict[int, str] = {
    0: "invalid", 1: "none", 2: "vnc_authentication", 5: "ra2", 6: "ra2ne", 16: "tight", 17: "ultra",
    18: "tls", 19: "vencrypt", 20: "sasl", 21: "md5_hash", 22: "xvp", 30: "apple_ard", 35: "apple_ard_2",
    113: "ultra_ms_logon_ii", 129: "unix_login",
}
SECURITY_NAMES: tuple[str, ...] = tuple(_SECURITY.get(i, f"unknown-{i}") for i in range(256))
NONE, VNC_AUTH = 1, 2
#: security type -> the weakness it stands for
WEAK_SECURITY: dict[int, str] = {1: "no_authentication", 2: "vnc_authentication_des"}

CLIENT_MESSAGES: dict[int, str] = {0: "set_pixel_format", 2: "set_encodings", 3: "framebuffer_update_request",
                                   4: "key_event", 5: "pointer_event", 6: "client_cut_text"}
SERVER_MESSAGES: dict[int, str] = {0: "framebuffer_update", 1: "set_colour_map_entries", 2: "bell",
                                   3: "server_cut_text"}

_ENCODINGS: dict[int, str] = {
    0: "raw", 1: "copy_rect", 2: "rre", 4: "corre", 5: "hextile", 6: "zlib", 7: "tight", 8: "zlibhex",
    15: "trle", 16: "zrle", 17: "hitachi_zywrle", 21: "jpeg", 22: "jrle", 50: "open_h264",
    -223: "desktop_size", -224: "last_rect", -232: "pointer_pos", -239: "cursor", -240: "x_cursor",
    -257: "qemu_pointer_motion_change", -258: "qemu_extended_key_event", -259: "qemu_audio",
    -305: "gii", -307: "desktop_name", -308: "extended_desktop_size", -309: "xvp", -312: "fence",
    -313: "continuous_updates", -314: "cursor_with_alpha", -412: "jpeg_fine_grained_quality",
    -763: "jpeg_subsampling", 0x574D5664: "vmware_cursor",
}


def encoding_name(code: int) -> str:
    name = _ENCODINGS.get(code)
    if name is not None:
        return name
    if -32 <= code <= -23:
        return f"jpeg_quality_{code + 32}"
    if -256 <= code <= -247:
        return f"compress_level_{code + 256}"
    return f"unknown-{code}"

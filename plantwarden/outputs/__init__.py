"""Alert outputs for SIEMs (docs/outputs.md): ArcSight CEF, RFC 5424 syslog over UDP, TCP and TLS
(RFC 5425 octet counting), and STIX 2.1 sightings.

Every function here works on alert documents: the JSON objects of ``plantwarden alerts --format json``
(docs/alerts.md), so that what a SIEM receives is what the CLI shows.
"""

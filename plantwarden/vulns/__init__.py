"""Vulnerability data: CSAF 2.0 advisories and where they come from."""

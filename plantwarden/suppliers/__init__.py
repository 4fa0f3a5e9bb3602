"""Suppliers: the register, risk questionnaires, contract security clauses and their remote access
seen on the wire (docs/suppliers.md)."""

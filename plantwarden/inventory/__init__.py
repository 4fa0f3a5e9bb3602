"""Events -> assets, identities (each with its source and confidence), roles, Purdue level and the
communication map. Pure and in memory; ``plantwarden.store`` persists the result."""

from plantwarden.inventory.builder import InventoryBuilder
from plantwarden.inventory.model import Asset, Communication, Fact, FunctionCount, Inventory

__all__ = ["Asset", "Communication", "Fact", "FunctionCount", "Inventory", "InventoryBuilder"]

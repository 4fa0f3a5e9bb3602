"""IEC 62443 zones and conduits: a model the user writes in YAML, checked against observed traffic.

``model`` loads and validates the YAML, ``classes`` puts every function of a communication in a
function class, ``check`` places the stored communications in their zones and finds what the conduits
do not allow, ``propose`` writes a starter model from the stored inventory. See docs/zones.md.
"""

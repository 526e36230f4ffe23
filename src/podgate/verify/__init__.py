"""Verifiers: run an export in its target's own engine (an optional dependency) over the
input's workloads and generated boundary pods, and compare with PSP's decisions. Adapters
around the pure `podgate.export` core."""

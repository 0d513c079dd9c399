"""Renderers of a ScanResult: terminal, JSON."""

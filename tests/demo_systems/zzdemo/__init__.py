"""Demo system: a throwaway used by tests to show a new system needs no edit outside its folder."""

from paperzoo.zzdemo.equations import doubled

ENTRY_POINTS = ("doubled",)
__all__ = ["doubled"]

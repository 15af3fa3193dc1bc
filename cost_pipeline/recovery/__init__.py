"""Recovering from crashes outside the warehouse (which recovers by itself: see warehouse/plan)."""

"""`cost-pipeline demo` and `cost-pipeline dev`: the pipeline end to end on this machine."""

"""CPU models: the shared CPU declaration (base), the atomic model (atomic),
its compiled kernel (kernel) and the Python API the machine drives (core)."""

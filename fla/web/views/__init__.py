"""The screens of the online application (seed §2–§5), one module per area."""

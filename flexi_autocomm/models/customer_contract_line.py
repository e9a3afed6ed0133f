# Filled by the contracts work.

"""Who may do what with which record: roles, Part 2 consent, break-the-glass, the audit chain.

Pure functions over plain data, like the rest of the domain: storage and HTTP live in
``adapters`` and ``api``.
"""

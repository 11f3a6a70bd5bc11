"""Outcome and quality measures over many patients, pure functions over their courses (``courses.py``).

``outcomes.py`` gathers the program's outcomes (retention and the cascade in ``retention.py`` over the
Kaplan–Meier curves of ``survival.py``; adherence in ``adherence.py``; screens, drinking and BAM by month
in ``monthly.py``); ``pod.py`` and ``iet.py`` are the HEDIS quality measures; ``report.py`` the rows that
may leave the program, small cells suppressed; ``definitions.py`` every number they use, with its source.
"""

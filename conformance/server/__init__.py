"""The central compliance service, a front end beside the command and the plugin.

``conformance serve`` runs it over the results history (SQLite by default,
PostgreSQL for a central deployment): agencies push their runs' JSON
reports with their own token (``conformance report push``); the service
checks each report (:mod:`.intake`), stores it once (``history.central``)
and shows the dashboard, agency, standard and run pages, badges and
certificates (:mod:`.app`, :mod:`.views`, :mod:`.pages`). See docs/central.md.
"""

"""The directory: farms and their parcels, organizations, their contacts;
spreadsheet imports, and a CSV export of every table.

Everyone signed in reads; only coordinators change (`changes`), and every
change goes to the audit log with the values before and after. Every form
works without JavaScript and, when something is wrong, comes back with what
was typed and a message beside the field (HTTP 422).
"""

from services.web.panel.directory import (  # noqa: F401 - importing registers the views
    contacts,
    exports,
    farms,
    imports,
    organizations,
    search,
)

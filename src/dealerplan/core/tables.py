"""Column helpers shared by every list table."""

#: Hide a column on phones; the table keeps what a consultant needs at a glance.
DESKTOP_ONLY = {
    "th": {"class": "d-none d-lg-table-cell"},
    "td": {"class": "d-none d-lg-table-cell"},
}

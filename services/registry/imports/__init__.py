"""Bulk import of organisations and postings from an organiser's spreadsheet (XLSX or CSV)."""

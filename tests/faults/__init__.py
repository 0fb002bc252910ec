"""Faults staged as real disks, servers and users produce them (issue 15).

Each module stages one kind: a writer killed mid-transaction, corrupted rows, hostile filters, a
read-only WAL folder, a busy writer under a memory ceiling, a stopped PostgreSQL server.
"""

"""The store: SQLite by default, PostgreSQL in production, through SQLAlchemy Core."""

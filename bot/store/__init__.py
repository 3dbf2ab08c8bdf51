"""The store: the only place with SQL. One module per table family; db.py owns the connection."""

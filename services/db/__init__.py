"""The SQL database the services share: base, engines, schema migrations, caches."""

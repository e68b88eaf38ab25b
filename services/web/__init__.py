"""HTTP plumbing both HTTP services share: app parts, API-key auth, rate limits."""

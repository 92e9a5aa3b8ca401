"""Who may do what: tokens and their verification, organizations, groups, rate limits."""

"""CooCook business rules: chefs (listing, detail, edits), bookings (lifecycle), reviews."""

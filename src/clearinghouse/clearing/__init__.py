"""The clearing house's Django side: engine input from the database, runs, scenarios, acceptance."""

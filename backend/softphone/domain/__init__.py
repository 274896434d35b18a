"""Pure domain types: calls, accounts, events and commands; imports nothing else of the app."""

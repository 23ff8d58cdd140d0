"""What each screen asks and decides, one module (or package) per screen; pages call these, never SQL. Imports
core and data."""

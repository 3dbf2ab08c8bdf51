"""Services: the work, one job each; they raise domain errors from bot.errors."""

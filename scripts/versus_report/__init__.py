"""Reading versus results and turning them into plots, tables, claim verdicts and a report."""

"""The demo story: a simulated EVERLINKS develops an error spike and Candor handles it."""

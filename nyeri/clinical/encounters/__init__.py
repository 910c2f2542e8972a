"""Encounters: a patient's visits at a facility, who took part, and for how long."""

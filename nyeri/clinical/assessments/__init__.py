"""Pain assessments: an instrument's answers, the scores computed from them, body sites."""

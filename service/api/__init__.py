"""flask-smorest blueprints: thin views that translate HTTP to a call and back."""

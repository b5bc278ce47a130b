"""In-app notifications (the bell) and each person's choice of which kinds also come by e-mail."""

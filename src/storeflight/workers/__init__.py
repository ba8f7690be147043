"""`serve --workers N`: HTTP worker processes on one listening socket, under one supervisor process."""

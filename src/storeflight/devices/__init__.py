"""Device credentials and the device endpoints: delivery keys, per-device URLs, App Installer files, downloads."""

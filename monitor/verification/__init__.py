"""Fix verification: a fix counts only once the signal has stayed healthy for a window.

This stage watches the alerts of an incident: when every alert has resolved
the incident enters ``verifying``; if an alert of its group fires again it
``regressed`` (see ``monitor.alerting.service``); if none fires for
``verification.window`` it is resolved as verified. The next stage replaces
"no alert fired" with a PromQL check of the triggering signal, at the hook
``healthy()`` below.
"""

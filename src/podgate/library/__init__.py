"""The builtin PodSecurityPolicy library (package data): privileged, baseline, restricted."""

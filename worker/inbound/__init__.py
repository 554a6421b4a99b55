"""Inbound mail: parse (MIME, charsets, HTML), reply text, bounces, auto-replies, correlate, act."""

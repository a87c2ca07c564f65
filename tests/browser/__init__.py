"""Tests that drive the real web interface of a real Home Assistant in Chromium."""

"""Tests of storeflight.approvals."""

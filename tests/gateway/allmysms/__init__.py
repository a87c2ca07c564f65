"""Tests of the AllMySMS HTTPS API 9.0 route against its simulator."""

"""Helpers the tests share: loopback servers, the fake web, WARC audits, waiting."""

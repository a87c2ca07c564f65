"""Async clients for French SMS gateways: AllMySMS, smsmode, 123-SMS.

Knows nothing of Home Assistant: it takes an ``aiohttp.ClientSession`` and gives typed
results and one exception tree (``errors``). Each route is a ``base.Gateway``.
"""

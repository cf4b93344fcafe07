# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Resellers (نمایندگان فروش): a tree of any depth whose staff see and
change only the subscribers of their own branch.

- ``partak.reseller``: name, unique code, parent / children (Tryton's
  ``tree()`` mixin, cycles refused), active, its back-office users.
- ``res.user.reseller``: the one reseller a back-office user works for.
- ``party.party.reseller``: the reseller a subscriber belongs to; the
  current user's reseller by default; only Partak administrators change it
  (field access), anyone may set it at creation (the rules then refuse a
  reseller outside the user's branch).

``ir.rule`` gets a ``reseller`` key in its context (the current user's
reseller id, None for users without one and for Partak administrators), and
two rule groups per model follow the tree, ``('reseller', 'child_of',
[reseller], 'parent')`` through the model's path to the subscriber:

- a *global* rule: a user with a reseller is confined to its branch
  (whatever the groups), a user without one is not touched by it;
- a rule of the agents' group (``partak_subscriber.group_partak_agent``),
  OR-ed by Tryton with the agent's own rule (``agent = user``): an agent of a
  reseller sees the whole branch, not only the subscribers it registered.
  An agent without reseller keeps the ``agent = user`` rule of today.

The models, with the path from each to the reseller:

================================  =============================
``party.party``                   ``reseller``
``partak.line``                   ``subscriber.reseller``
``partak.line.status.history``    ``line.subscriber.reseller``
``partak.internet.account``       ``line.subscriber.reseller``
``partak.document``               ``subscriber.reseller``
``partak.sms``                    ``party.reseller``
================================  =============================

``party.address``, ``party.contact_mechanism`` and ``party.identifier``
follow ``party.party`` through Tryton's ``__access__``.  The models of the
other Partak modules (orders, payments, tickets, sessions…) keep only their
agent rules for now: see docs/resellers.md.
"""

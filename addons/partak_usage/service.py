# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Hooks on the service ledger of partak_services: keep the bucket balances
that RADIUS reads in step with the traffic moves, and re-check the live
sessions of a line when its service or traffic changes (plan change, pack,
early end: CoA or disconnect)."""
from trytond.pool import Pool, PoolMeta


def _enforce(lines):
    lines = list({l.id: l for l in lines if l}.values())
    if lines:
        Pool().get('partak.radius.session').enforce(lines=lines)


class ServicePeriod(metaclass=PoolMeta):
    __name__ = 'partak.service.period'

    @classmethod
    def get_remaining_bytes(cls, periods, name):
        # Accounting counts traffic at once but books it on the ledger by a
        # cron: what the subscriber sees must already be without it.
        result = super().get_remaining_bytes(periods, name)
        Counter = Pool().get('partak.radius.counter')
        for counter in Counter.search([
                    ('period', 'in', [p.id for p in periods]),
                    ('unbooked', '>', 0),
                    ]):
            remaining = result.get(counter.period.id)
            if remaining is not None:
                result[counter.period.id] = max(
                    remaining - counter.unbooked, 0)
        return result

    @classmethod
    def on_modification(cls, mode, periods, field_names=None):
        super().on_modification(mode, periods, field_names=field_names)
        if mode == 'create' or (mode == 'write' and set(field_names or ())
                & {'state', 'start', 'end', 'product', 'line'}):
            _enforce([p.line for p in periods])

    @classmethod
    def on_delete(cls, periods):
        callbacks = super().on_delete(periods)
        lines = [p.line for p in periods]
        callbacks.append(lambda: _enforce(lines))
        return callbacks


class TrafficBucket(metaclass=PoolMeta):
    __name__ = 'partak.traffic.bucket'

    @classmethod
    def on_modification(cls, mode, buckets, field_names=None):
        super().on_modification(mode, buckets, field_names=field_names)
        if mode == 'write' and set(field_names or ()) & {'expires', 'period'}:
            Pool().get('partak.radius.balance').update_buckets(buckets)


class TrafficMove(metaclass=PoolMeta):
    __name__ = 'partak.traffic.move'

    @classmethod
    def on_modification(cls, mode, moves, field_names=None):
        super().on_modification(mode, moves, field_names=field_names)
        Balance = Pool().get('partak.radius.balance')
        if mode == 'create':
            Balance.add_moves(moves)
            # A pack after the fair-use speed gives the full speed back.
            _enforce([m.bucket.period.line for m in moves
                    if m.kind != 'usage'])
        elif mode == 'delete':
            # Called before the moves are deleted: they are still readable.
            Balance.add_moves(moves, sign=-1)

    @classmethod
    def on_write(cls, moves, values):
        callbacks = super().on_write(moves, values)
        if {'bytes', 'bucket'} & set(values):
            Balance = Pool().get('partak.radius.balance')
            Balance.add_moves(moves, sign=-1)
            ids = [m.id for m in moves]
            callbacks.append(lambda: Balance.add_moves(cls.browse(ids)))
        return callbacks
